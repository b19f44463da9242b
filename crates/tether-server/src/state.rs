//! What every handler and the worker share.

use crate::check::Checker;
use crate::clock::Clock;
use crate::config::Config;
use crate::preflight::PreflightIndex;
use std::sync::Arc;
use tether_store::SqlStore;

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    pub checker: Checker,
    pub index: PreflightIndex,
    pub keys: crate::auth::KeyCache,
    /// The logins being checked now, so concurrent "check now"s of one login make one check.
    pub checking: crate::service::InFlight,
    /// Wakes the deliverer when an event is written ([`Inner::events_written`]).
    pub deliveries_due: tokio::sync::Notify,
    /// Failed sign-ins per email (the dashboard's limit on guessing).
    pub sign_ins: crate::dashboard::passwords::Attempts,
    /// For outbound webhooks: no redirects (a 3xx is a failed delivery), short timeouts.
    pub http: reqwest::Client,
}

impl Inner {
    /// Says that events were committed to the outbox: the deliverer starts on them at once
    /// instead of at its next poll.
    pub fn events_written(&self) {
        self.deliveries_due.notify_one();
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
