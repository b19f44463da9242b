//! Each network's hourly platform-call budget, kept in the database so every process on it
//! (worker processes, "check now" in any server) spends from the same one: one platform app's
//! rate limit is one budget. Its own small trait, like [`crate::GrantStore`].

use crate::Result;
use jiff::Timestamp;
use std::future::Future;
use tether_core::vocab::Network;

/// Calls taken from a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// How many of the calls asked for were granted (fewer when the hour's are nearly spent).
    pub granted: u32,
    /// The start of the hour they were taken from: unused ones go back to that hour only.
    pub window_start: Timestamp,
    /// The platform's latest reading of the app's usage, seen by any process.
    pub usage: Option<PlatformUsage>,
}

/// How much of its rate limit the platform says the app has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformUsage {
    pub percent: u32,
    pub at: Timestamp,
}

pub trait BudgetStore: Send + Sync {
    /// Takes up to `want` calls from the network's budget of `per_hour` calls an hour (the hour
    /// starts anew when the last one is over), atomically across processes.
    fn take_calls(
        &self,
        network: Network,
        now: Timestamp,
        per_hour: u32,
        want: u32,
    ) -> impl Future<Output = Result<Taken>> + Send;

    /// Keeps the platform's reading of the app's usage for every process (a later reading
    /// replaces it; an older one is ignored).
    fn note_usage(
        &self,
        network: Network,
        usage: PlatformUsage,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Gives back calls taken but not spent, to the hour they were taken from.
    fn give_back_calls(
        &self,
        network: Network,
        window_start: Timestamp,
        calls: u32,
    ) -> impl Future<Output = Result<()>> + Send;
}
