//! Assets: discovery, filtered listings, per-asset reports, the pre-flight scan, and facts.

use super::rows::*;
use super::words::one;
use super::{BeginWrite, Pool, SqlStore};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use serde_json::Value;
use sqlx::types::Json;
use tether_core::vocab::Status;
use uuid::Uuid;

impl SqlStore {
    pub(super) async fn upsert_asset_row(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        new: NewAsset,
    ) -> Result<Asset> {
        let row: AssetRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            // The login must be this workspace's: assets inherit its workspace.
            let person: Option<(String,)> = sqlx::query_as(sql::LOGIN_PERSON)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((person,)) = person else {
                return Err(StoreError::NotFound {
                    what: "login",
                    id: login.0,
                });
            };
            let name = sort_name(&new.name);
            let search = format!("{name} {}", sort_name(&person));
            let row: AssetRow = sqlx::query_as(sql::UPSERT_ASSET)
                .bind(Uuid::now_v7())
                .bind(ws.0)
                .bind(login.0)
                .bind(new.kind.as_str())
                .bind(&new.platform_id)
                .bind(&new.name)
                .bind(i64::from(Status::Pending.triage()))
                .bind(&name)
                .bind(&search)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(sql::COUNT_LOGIN_ASSETS)
                .bind(ws.0)
                .bind(login.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        asset(row)
    }

    pub(super) async fn get_asset_row(
        &self,
        ws: WorkspaceId,
        id: AssetId,
    ) -> Result<Option<Asset>> {
        let row: Option<AssetRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_ASSET)
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.map(asset).transpose()
    }

    pub(super) async fn filter_assets(
        &self,
        ws: WorkspaceId,
        f: &AssetFilter,
    ) -> Result<Vec<Asset>> {
        let rows: Vec<AssetRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_ASSETS)
            .bind(ws.0)
            .bind(f.login.map(|l| l.0))
            .bind(f.status.map(Status::as_str))
            .bind(f.network.map(|n| n.as_str()))
            .bind(f.kind.map(|k| k.as_str()))
            .bind(f.owner.map(one))
            .bind(f.feature.map(one))
            .bind(f.after.map(|a| a.0))
            .bind(i64::from(f.limit))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(asset).collect()
    }

    pub(super) async fn count_by_status(&self, ws: WorkspaceId) -> Result<Vec<(Status, u64)>> {
        let rows: Vec<(String, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::COUNT_ASSETS_BY_STATUS)
                .bind(ws.0)
                .fetch_all(p)
                .await)?;
        let mut counts = rows
            .into_iter()
            .map(|(s, n)| Ok((word("assets.status", &s)?, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<Vec<(Status, u64)>>>()?;
        counts.sort();
        Ok(counts)
    }

    pub(super) async fn asset_report(
        &self,
        ws: WorkspaceId,
        asset: AssetId,
    ) -> Result<Option<Stamped<Value>>> {
        let row: Option<(Option<Json<Value>>, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_ASSET_REPORT)
                .bind(ws.0)
                .bind(asset.0)
                .fetch_optional(p)
                .await)?;
        match row {
            Some((Some(report), at)) => Ok(Some(Stamped {
                value: report.0,
                at: ts("assets.updated_at", at)?,
            })),
            _ => Ok(None),
        }
    }

    pub(super) async fn scan(
        &self,
        since: Option<Timestamp>,
        after: Option<(Timestamp, AssetId)>,
        limit: u32,
    ) -> Result<Vec<AssetRecord>> {
        let rows: Vec<AssetRecordRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::SCAN_ASSETS)
            .bind(since.map(us))
            .bind(after.map(|(at, _)| us(at)))
            .bind(after.map(|(_, id)| id.0))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(asset_record).collect()
    }

    pub(super) async fn put_facts_row(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        subject: FactsSubject,
        facts: &Value,
        seen_at: Timestamp,
    ) -> Result<()> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let owned: Option<(Uuid,)> = sqlx::query_as(sql::LOGIN_IN_WORKSPACE)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            if owned.is_none() {
                return Err(StoreError::NotFound {
                    what: "login",
                    id: login.0,
                });
            }
            sqlx::query(sql::PUT_FACTS)
                .bind(subject.uuid())
                .bind(ws.0)
                .bind(login.0)
                .bind(Json(facts))
                .bind(us(seen_at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    pub(super) async fn get_facts_row(
        &self,
        ws: WorkspaceId,
        subject: FactsSubject,
    ) -> Result<Option<Stamped<Value>>> {
        let row: Option<(Json<Value>, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_FACTS)
                .bind(ws.0)
                .bind(subject.uuid())
                .fetch_optional(p)
                .await)?;
        row.map(|(v, at)| {
            Ok(Stamped {
                value: v.0,
                at: ts("facts.seen_at", at)?,
            })
        })
        .transpose()
    }
}
