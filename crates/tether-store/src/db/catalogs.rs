//! [`CatalogStore`] on both engines: one query body for both (`sql.rs`).

use super::rows::*;
use super::{Pool, SqlStore};
use crate::catalogs::{CatalogStore, StoredCatalog};
use crate::sql;
use crate::*;
use tether_core::vocab::Network;

impl CatalogStore for SqlStore {
    async fn record_catalog(&self, c: &StoredCatalog) -> Result<()> {
        on_pool!(&self.pool, |p| sqlx::query(sql::RECORD_CATALOG)
            .bind(c.network.as_str())
            .bind(i64::from(c.revision))
            .bind(&c.catalog)
            .bind(&c.summary)
            .bind(us(c.applied_at))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn latest_catalogs(&self) -> Result<Vec<StoredCatalog>> {
        let rows: Vec<(String, i64, String, String, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LATEST_CATALOGS)
                .fetch_all(p)
                .await)?;
        rows.into_iter()
            .map(|(network, revision, catalog, summary, at)| {
                Ok(StoredCatalog {
                    network: word("catalog_changes.network", &network)?,
                    revision: u32::try_from(revision).unwrap_or(u32::MAX),
                    catalog,
                    summary,
                    applied_at: ts("catalog_changes.applied_at", at)?,
                })
            })
            .collect()
    }

    async fn catalog_revisions(&self) -> Result<Vec<(Network, u32)>> {
        let rows: Vec<(String, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::CATALOG_REVISIONS)
                .fetch_all(p)
                .await)?;
        rows.into_iter()
            .map(|(network, revision)| {
                Ok((
                    word("catalog_changes.network", &network)?,
                    u32::try_from(revision).unwrap_or(u32::MAX),
                ))
            })
            .collect()
    }
}
