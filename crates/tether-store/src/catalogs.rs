//! Catalog changes recorded by `tether catalog apply --apply`, so a platform change applied to
//! the stored accounts is also what every process started afterwards judges by, not only what the
//! next build will carry. Its own small trait, like [`crate::GrantStore`].

use crate::Result;
use jiff::Timestamp;
use std::future::Future;
use tether_core::vocab::Network;

/// A changed catalog as recorded: its text is parsed and validated by whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCatalog {
    pub network: Network,
    pub revision: u32,
    pub catalog: String,
    pub summary: String,
    pub applied_at: Timestamp,
}

pub trait CatalogStore: Send + Sync {
    /// Records an applied change; applying the same revision again replaces its text.
    fn record_catalog(&self, change: &StoredCatalog) -> impl Future<Output = Result<()>> + Send;

    /// The highest recorded revision of each network that has one, in network order.
    fn latest_catalogs(&self) -> impl Future<Output = Result<Vec<StoredCatalog>>> + Send;

    /// Only the highest revision of each network: what a running process compares with the
    /// catalogs it started with, every round.
    fn catalog_revisions(&self) -> impl Future<Output = Result<Vec<(Network, u32)>>> + Send;
}
