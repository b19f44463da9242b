//! When to check a login next, and how much checking an hour may cost. Pure: state and `now` in,
//! a time out, so the cadence is tested without a clock.

use jiff::{SignedDuration, Timestamp};
use tether_core::Status;

/// What the cadence looks at.
#[derive(Debug, Clone, Copy)]
pub struct Risk {
    pub status: Status,
    pub expires_at: Option<Timestamp>,
    pub data_access_expires_at: Option<Timestamp>,
    /// The last time this login's or one of its assets' status changed.
    pub last_changed_at: Option<Timestamp>,
    /// Failed checks in a row (transient trouble).
    pub consecutive_failures: u32,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;

/// Risky logins sooner, long-stable ones later:
/// - after a failed check: 1, 2, 4 … minutes, at most 30 (the platform was in trouble);
/// - expiring within 7 days, or changed in the last day: hourly / every 15 minutes;
/// - not healthy: hourly (a fix by a Page admin should show up soon);
/// - healthy: every 6 hours, daily once nothing changed for a week.
pub fn next_check(risk: &Risk, now: Timestamp) -> Timestamp {
    let secs = if risk.consecutive_failures > 0 {
        let exp = risk.consecutive_failures.saturating_sub(1).min(5);
        (MINUTE << exp).min(30 * MINUTE)
    } else {
        let within = |t: Option<Timestamp>, d: i64| {
            t.is_some_and(|t| t.duration_since(now) < SignedDuration::from_secs(d))
        };
        let changed_recently = risk
            .last_changed_at
            .is_some_and(|t| now.duration_since(t) < SignedDuration::from_secs(24 * HOUR));
        let stable_long = risk
            .last_changed_at
            .is_none_or(|t| now.duration_since(t) > SignedDuration::from_secs(7 * 24 * HOUR));
        if changed_recently {
            15 * MINUTE
        } else if within(risk.expires_at, 7 * 24 * HOUR)
            || within(risk.data_access_expires_at, 7 * 24 * HOUR)
            || risk.status != Status::Connected
        {
            HOUR
        } else if stable_long {
            24 * HOUR
        } else {
            6 * HOUR
        }
    };
    now.saturating_add(SignedDuration::from_secs(secs))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn risk(status: Status) -> Risk {
        Risk {
            status,
            expires_at: None,
            data_access_expires_at: None,
            last_changed_at: None,
            consecutive_failures: 0,
        }
    }

    fn gap(r: &Risk, now: Timestamp) -> i64 {
        next_check(r, now).duration_since(now).as_secs()
    }

    #[test]
    fn risk_orders_the_cadence() {
        let now = at("2026-11-23T09:00:00Z");
        let stable = risk(Status::Connected);
        let recent = Risk {
            last_changed_at: Some(at("2026-11-23T08:00:00Z")),
            ..stable
        };
        let expiring = Risk {
            expires_at: Some(at("2026-11-26T09:00:00Z")),
            last_changed_at: Some(at("2026-11-10T09:00:00Z")),
            ..stable
        };
        let mid = Risk {
            last_changed_at: Some(at("2026-11-20T09:00:00Z")),
            ..stable
        };
        let failing = Risk {
            consecutive_failures: 1,
            ..stable
        };
        assert!(gap(&failing, now) < gap(&recent, now));
        assert!(gap(&recent, now) < gap(&expiring, now));
        assert!(gap(&expiring, now) < gap(&mid, now));
        assert!(gap(&mid, now) < gap(&stable, now));
        assert_eq!(gap(&stable, now), 24 * HOUR);
    }

    #[test]
    fn failures_back_off_to_a_cap() {
        let now = at("2026-11-23T09:00:00Z");
        let gaps: Vec<i64> = (1..=10)
            .map(|n| {
                gap(
                    &Risk {
                        consecutive_failures: n,
                        ..risk(Status::Connected)
                    },
                    now,
                )
            })
            .collect();
        assert_eq!(&gaps[..4], &[60, 120, 240, 480]);
        assert!(gaps.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*gaps.last().unwrap(), 30 * MINUTE);
    }
}
