//! Background work, one explicit step at a time: check the logins that are due (within the
//! platform-call budget, batched), deliver webhooks, send daily digests. `serve` and `worker` loop
//! `step`; tests call it directly instead of sleeping.

use crate::check::{self, CheckResult};
use crate::schedule::{Risk, next_check};
use crate::state::AppState;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tether_core::Network;
use tether_store::{BudgetStore, CheckOutcome, Login, PlatformUsage, Store, StoreError};

#[derive(Debug, Default, Clone, Serialize)]
pub struct StepReport {
    pub checked: usize,
    pub failed: usize,
    /// Due logins left for later because the hour's call budget is spent.
    pub budget_exhausted: bool,
    /// Checks held back because the platform said the app is near its rate limit.
    pub slowed_by_usage: bool,
    pub platform_calls: u64,
    pub delivered: usize,
    pub delivery_failures: usize,
    pub digests: usize,
    /// Emails to people: alerts and daily summaries sent, and sends that failed (retried).
    pub alerts: usize,
    pub person_digests: usize,
    pub mail_failures: usize,
    /// Networks not checked because a catalog change was applied after this process started
    /// (it must be restarted to judge by it).
    pub outdated_catalogs: Vec<Network>,
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
    /// When finished or abandoned OAuth flows were last swept away.
    last_purge: Mutex<Option<Timestamp>>,
    /// Per network, the recorded catalog revision this process last warned it is behind, and
    /// when: said when first seen, then hourly, not on every round (a second apart).
    warned_outdated: Mutex<HashMap<Network, (u32, Timestamp)>>,
}

impl Worker {
    pub fn new(state: AppState) -> Worker {
        Worker {
            state,
            last_purge: Mutex::new(None),
            warned_outdated: Mutex::new(HashMap::new()),
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// One round of everything, deliveries included (the tests and the demo step it).
    pub async fn step(&self) -> anyhow::Result<StepReport> {
        let mut report = self.step_routine().await?;
        let (ok, failed) = crate::delivery::deliver_due(&self.state).await?;
        report.delivered = ok;
        report.delivery_failures = failed;
        Ok(report)
    }

    /// One round of checks, digests, mail and housekeeping; deliveries run in their own loop
    /// ([`crate::delivery::run`]) so a slow endpoint never holds up a check.
    pub async fn step_routine(&self) -> anyhow::Result<StepReport> {
        let mut report = StepReport::default();
        self.check_due(&mut report).await?;
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
            total.slowed_by_usage |= r.slowed_by_usage;
            total.outdated_catalogs = r.outdated_catalogs;
        }
        Ok(total)
    }

    /// Each configured network in turn, within its own hourly call budget: one platform app's
    /// limits say nothing about another's.
    async fn check_due(&self, report: &mut StepReport) -> anyhow::Result<()> {
        let networks: Vec<Network> = self.state.checker.networks.keys().copied().collect();
        let outdated = check::outdated_catalogs(&self.state.store, &self.state.checker).await?;
        for network in networks {
            if let Some(&revision) = outdated.get(&network) {
                // Not claimed at all: the logins keep their verdicts and their place in the
                // schedule, unmarked, for the restarted worker.
                if self.warn_outdated(network, revision) {
                    tracing::warn!(
                        %network,
                        recorded = revision,
                        "{}",
                        check::outdated_reason(network, revision)
                    );
                }
                report.outdated_catalogs.push(network);
                continue;
            }
            self.check_due_on(network, report).await?;
        }
        Ok(())
    }

    /// Whether to warn now that `network`'s recorded catalog `revision` is newer than this
    /// process's: a revision not yet warned of, or an hour since the last warning.
    fn warn_outdated(&self, network: Network, revision: u32) -> bool {
        let now = self.state.clock.now();
        let mut warned = self
            .warned_outdated
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let recent = warned.get(&network).is_some_and(|&(r, at)| {
            r == revision && now.duration_since(at) < SignedDuration::from_hours(1)
        });
        if !recent {
            warned.insert(network, (revision, now));
        }
        !recent
    }

    async fn check_due_on(&self, network: Network, report: &mut StepReport) -> anyhow::Result<()> {
        let s = &self.state;
        let Some(net) = s.checker.network(network) else {
            return Ok(());
        };
        let now = s.clock.now();
        let cfg = &s.config.worker;
        // Taken from the budget every process on this database shares, per login at the worst
        // case; what was not spent goes back.
        let cost = net.calls_per_check().max(1);
        let taken = s
            .store
            .take_calls(
                network,
                now,
                cfg.calls_per_hour,
                cfg.batch.saturating_mul(cost),
            )
            .await?;
        let usable = usage_allows(taken.granted, taken.usage, now);
        report.slowed_by_usage |= usable < taken.granted;
        let limit = usable / cost;
        if limit == 0 {
            s.store
                .give_back_calls(network, taken.window_start, taken.granted)
                .await?;
            report.budget_exhausted |= usable == taken.granted;
            return Ok(());
        }
        let claims = s
            .store
            .claim_due_logins(&cfg.owner, now, cfg.lease, limit, Some(network))
            .await?;
        if claims.is_empty() {
            s.store
                .give_back_calls(network, taken.window_start, taken.granted)
                .await?;
            return Ok(());
        }
        let mut logins = Vec::with_capacity(claims.len());
        for c in &claims {
            if let Some(l) = s.store.get_login(c.workspace_id, c.login_id).await? {
                logins.push(l);
            }
        }
        let before = net.stats().platform_calls;
        let results = check::check_leased(s, &logins, now).await?;
        let spent = net.stats().platform_calls.saturating_sub(before);
        let spent_calls = u32::try_from(spent).unwrap_or(u32::MAX);
        s.store
            .give_back_calls(
                network,
                taken.window_start,
                taken.granted.saturating_sub(spent_calls),
            )
            .await?;
        report.platform_calls += spent;
        // Only a reading this step's calls brought back: an older one would be dated now.
        if let Some(percent) = net.usage_percent().filter(|_| spent > 0) {
            s.store
                .note_usage(network, PlatformUsage { percent, at: now })
                .await?;
        }
        let mut releases = Vec::with_capacity(logins.len());
        for (login, result) in logins.iter().zip(results) {
            match result {
                CheckResult::Recorded(_) => report.checked += 1,
                CheckResult::Failed(_) => report.failed += 1,
            }
            releases.push(release(s, login, result, now));
        }
        for released in crate::check::at_once(releases).await {
            released?;
        }
        s.index.sync(&s.store).await?;
        Ok(())
    }
}

/// Ends the lease on a checked login and schedules its next check from how it went.
async fn release(
    s: &AppState,
    login: &Login,
    result: CheckResult,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (outcome, next) = match result {
        CheckResult::Recorded(_) => {
            let fresh = s
                .store
                .get_login(login.workspace_id, login.id)
                .await?
                .unwrap_or_else(|| login.clone());
            (CheckOutcome::Verified, next_check(&risk(&fresh, 0), now))
        }
        CheckResult::Failed(reason) => {
            let r = risk(login, login.consecutive_failures + 1);
            (CheckOutcome::Failed { reason }, next_check(&r, now))
        }
    };
    // One line per login per check: how the scale bench proves each login is checked exactly
    // once per cycle across worker processes.
    tracing::debug!(login_id = %login.id, verified = matches!(outcome, CheckOutcome::Verified), "login checked");
    s.store
        .release_login(login.id, &s.config.worker.owner, outcome, next)
        .await?;
    Ok(())
}

/// Meta throttles an app at 100 % of `X-App-Usage`, a rolling hour (docs/PLATFORMS.md 1.8).
/// Every worker slows down before that on the latest reading any of them saw: all of a step's
/// calls below SLOW_FROM, a share shrinking linearly to none at STOP_AT.
const SLOW_FROM: u32 = 60;
const STOP_AT: u32 = 90;
/// How long a reading holds. How fast Meta's figure falls is not documented (unconfirmed): the
/// safe reading is to hold back for a few minutes, then let one step's calls bring a new one.
const USAGE_READING_HOLDS: SignedDuration = SignedDuration::from_mins(5);

/// How many of the `granted` calls the platform's latest usage reading allows.
fn usage_allows(granted: u32, usage: Option<PlatformUsage>, now: Timestamp) -> u32 {
    let Some(u) = usage.filter(|u| now.duration_since(u.at) < USAGE_READING_HOLDS) else {
        return granted;
    };
    if u.percent < SLOW_FROM {
        return granted;
    }
    let left = STOP_AT.saturating_sub(u.percent);
    let share = u64::from(granted) * u64::from(left) / u64::from(STOP_AT - SLOW_FROM);
    u32::try_from(share).unwrap_or(granted)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(percent: u32, secs_ago: i64) -> Option<PlatformUsage> {
        Some(PlatformUsage {
            percent,
            at: Timestamp::from_second(1_000_000 - secs_ago).unwrap(),
        })
    }

    #[test]
    fn workers_slow_down_as_the_platform_says_the_app_nears_its_limit() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let allows = |usage| usage_allows(100, usage, now);
        assert_eq!(allows(None), 100, "no reading: the budget alone decides");
        assert_eq!(allows(reading(59, 0)), 100);
        assert_eq!(allows(reading(60, 0)), 100);
        assert_eq!(allows(reading(75, 0)), 50);
        assert_eq!(allows(reading(85, 0)), 16);
        assert_eq!(allows(reading(90, 0)), 0);
        assert_eq!(allows(reading(130, 0)), 0, "over the limit");
        assert_eq!(allows(reading(95, 299)), 0);
        assert_eq!(
            allows(reading(95, 300)),
            100,
            "an old reading no longer holds"
        );
    }
}
