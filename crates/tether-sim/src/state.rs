//! The simulator's shared state: world, clock, faults, counters and the hourly usage window.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::Clock;
use crate::faults::Faults;
use crate::oauth::Codes;
use crate::push::PushState;
use crate::world::World;

/// Request counters, readable through `GET /_admin/stats` or [`crate::SimHandle::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Graph HTTP requests (admin requests are not counted).
    pub http_requests: u64,
    /// Platform calls: one per plain request, one per batch item.
    pub platform_calls: u64,
    pub batch_requests: u64,
    pub calls_by_endpoint: BTreeMap<String, u64>,
    pub faults_applied: u64,
    /// OAuth dialog requests (`GET`/`POST /dialog/oauth`); not Graph requests, not platform calls.
    #[serde(default)]
    pub dialog_requests: u64,
    /// `/oauth/access_token` requests (code and long-lived exchanges); not counted above.
    #[serde(default)]
    pub token_requests: u64,
    /// Callbacks and webhooks POSTed to the app's server (sent or failed).
    #[serde(default)]
    pub deliveries: u64,
}

/// Calls in the current hour of the virtual clock, for `X-App-Usage`.
#[derive(Debug, Default)]
pub struct Usage {
    hour: i64,
    calls: u64,
    /// Set by the admin API: the least percent reported, whatever the calls.
    pub floor: Option<u64>,
}

impl Usage {
    pub fn record(&mut self, now_hour: i64, calls: u64) {
        if now_hour != self.hour {
            self.hour = now_hour;
            self.calls = 0;
        }
        self.calls += calls;
    }

    /// `{"call_count":p,"total_cputime":p,"total_time":p}` in percent of the platform budget of
    /// 200 calls per person per hour (docs/PLATFORMS.md 1.8).
    pub fn header(&self, now_hour: i64, people: usize) -> String {
        let calls = if now_hour == self.hour { self.calls } else { 0 };
        let budget = 200 * people.max(1) as u64;
        let pct = (calls * 100 / budget).max(self.floor.unwrap_or(0)).min(100);
        // CPU and wall time are not simulated; they track the call share at a lower rate.
        json!({"call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2}).to_string()
    }
}

pub struct Inner {
    pub world: World,
    pub clock: Clock,
    pub faults: Faults,
    pub stats: Stats,
    pub usage: Usage,
    pub codes: Codes,
    pub push: PushState,
}

impl Inner {
    pub fn now_hour(&self) -> i64 {
        self.clock.now().as_second().div_euclid(3_600)
    }

    pub fn count_call(&mut self, endpoint: &str) {
        self.stats.platform_calls += 1;
        *self
            .stats
            .calls_by_endpoint
            .entry(endpoint.to_string())
            .or_default() += 1;
        let hour = self.now_hour();
        self.usage.record(hour, 1);
    }
}

/// A handle on one simulator's state; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Mutex<Inner>>,
    /// For deliveries to the app's server; built on first use, as most simulators never push.
    http: Arc<OnceLock<reqwest::Client>>,
}

impl SimState {
    pub fn new(world: World) -> SimState {
        let clock = Clock::new(world.clock.start, world.clock.frozen);
        SimState {
            inner: Arc::new(Mutex::new(Inner {
                world,
                clock,
                faults: Faults::default(),
                stats: Stats::default(),
                usage: Usage::default(),
                codes: Codes::default(),
                push: PushState::default(),
            })),
            http: Arc::new(OnceLock::new()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; serving it is still better
        // than failing every later request.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn http(&self) -> reqwest::Client {
        self.http.get_or_init(crate::client::http_client).clone()
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.lock().stats = Stats::default();
    }
}

/// Every network's simulator part reads the one virtual clock the host's `/_admin/clock` moves.
impl tether_platform::SimClock for SimState {
    fn now(&self) -> jiff::Timestamp {
        self.lock().clock.now()
    }
}
