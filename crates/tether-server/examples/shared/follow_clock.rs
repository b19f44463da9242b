//! Tether's clock following the simulator's, shared by the examples that move the simulator's
//! clock (`#[path]`-included: cargo takes no example from a folder without `main.rs`).

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, Mutex};
use tether_server::Clock;
use tether_server::clock::micros;
use tether_sim::AdminClient;

/// Real time plus however far the simulator's clock was moved. Unlike a `ManualClock` it runs
/// during an import or a drain, as in production: the pre-flight index re-reads the last few
/// seconds of changes on every sync, and with a stopped clock that would be every change since
/// the clock last moved.
#[derive(Clone, Default)]
pub struct FollowClock(Arc<Mutex<SignedDuration>>);

impl FollowClock {
    /// Reads the simulator's clock and follows it from now on.
    pub async fn sync(&self, admin: &AdminClient) -> anyhow::Result<()> {
        let c = admin.clock().await?;
        let sim_now: Timestamp = c["now"]
            .as_str()
            .context("the simulator's clock has no `now`")?
            .parse()?;
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
            sim_now.duration_since(Timestamp::now());
        Ok(())
    }
}

impl Clock for FollowClock {
    fn now(&self) -> Timestamp {
        let offset = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Timestamp::now();
        micros(now.checked_add(offset).unwrap_or(now))
    }
}
