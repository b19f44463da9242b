//! The dashboard's overview: a page of logins, then their assets in one query, and its counts.

use super::rows::*;
use super::words::{one, words_of};
use super::{Pool, SqlStore};
use crate::sql;
use crate::*;
use std::collections::BTreeMap;
use tether_core::vocab::{Owner, Status};
use uuid::Uuid;

impl SqlStore {
    pub(super) async fn overview_logins(
        &self,
        ws: WorkspaceId,
        f: &OverviewFilter,
    ) -> Result<Vec<Login>> {
        let rows: Vec<LoginRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::OVERVIEW_LOGINS)
            .bind(ws.0)
            .bind(f.network.map(|n| n.as_str()))
            .bind(f.after.map(|a| a.0))
            .bind(f.status.map(Status::as_str))
            .bind(f.owner.map(one))
            .bind(f.feature.map(one))
            .bind(i64::from(f.limit))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(login).collect()
    }

    pub(super) async fn overview_assets(
        &self,
        ws: WorkspaceId,
        logins: &[LoginId],
        f: &OverviewFilter,
    ) -> Result<Vec<AssetRecord>> {
        if logins.is_empty() {
            return Ok(Vec::new());
        }
        let status = f.status.map(Status::as_str);
        let owner = f.owner.map(one);
        let feature = f.feature.map(one);
        // The one place the engines bind differently: PostgreSQL takes the ids as an array,
        // SQLite (no arrays) as a JSON list of hex strings.
        let rows: Vec<AssetRecordRow> = match &self.pool {
            Pool::Postgres(p) => {
                let ids: Vec<Uuid> = logins.iter().map(|l| l.0).collect();
                sqlx::query_as(sql::OVERVIEW_ASSETS_PG)
                    .bind(ws.0)
                    .bind(ids)
                    .bind(status)
                    .bind(owner)
                    .bind(feature)
                    .fetch_all(p)
                    .await?
            }
            Pool::Sqlite(p) => {
                let ids: Vec<String> = logins.iter().map(|l| l.0.simple().to_string()).collect();
                sqlx::query_as(sql::OVERVIEW_ASSETS_SQLITE)
                    .bind(ws.0)
                    .bind(serde_json::Value::from(ids).to_string())
                    .bind(status)
                    .bind(owner)
                    .bind(feature)
                    .fetch_all(p)
                    .await?
            }
        };
        rows.into_iter().map(asset_record).collect()
    }

    pub(super) async fn count_by_owner(&self, ws: WorkspaceId) -> Result<Vec<(Owner, u64)>> {
        let rows: Vec<(i64, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::COUNT_ASSETS_BY_OWNERS)
                .bind(ws.0)
                .fetch_all(p)
                .await)?;
        let mut counts: BTreeMap<Owner, u64> = BTreeMap::new();
        for (mask, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            for owner in words_of::<Owner>("assets.owners_mask", mask)? {
                *counts.entry(owner).or_default() += n;
            }
        }
        Ok(counts.into_iter().collect())
    }

    pub(super) async fn count_logins(&self, ws: WorkspaceId) -> Result<Vec<(Status, u64)>> {
        let rows: Vec<(String, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::COUNT_LOGINS_BY_STATUS)
                .bind(ws.0)
                .fetch_all(p)
                .await)?;
        let mut counts = rows
            .into_iter()
            .map(|(s, n)| Ok((word("logins.status", &s)?, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<Vec<(Status, u64)>>>()?;
        counts.sort();
        Ok(counts)
    }
}
