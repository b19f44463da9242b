//! The dashboard's overview: a page of rows (assets, and logins that reach none) worst first,
//! the assets, logins and reports those rows need, and the counts above them.

use super::rows::*;
use super::words::one;
use super::{Pool, SqlStore};
use crate::sql;
use crate::*;
use serde_json::Value;
use sqlx::types::Json;
use std::collections::BTreeMap;
use tether_core::vocab::{Action, Network, Status};
use uuid::Uuid;

/// A row as the page query returns it: `a` (asset) or `l` (login), its id, its login, and its
/// place in the order.
type RowRef = (String, Uuid, Uuid, i64, String);

/// The status whose [`Status::triage`] rank this is.
fn status_of(rank: i64) -> Result<Status> {
    Status::TRIAGE
        .iter()
        .copied()
        .find(|s| i64::from(s.triage()) == rank)
        .ok_or(StoreError::Corrupt {
            column: "triage",
            value: rank.to_string(),
        })
}

/// The words a row's text must contain, as the searched columns are stored: lowercased.
fn search_words(words: &str) -> Option<String> {
    Some(sort_name(words.trim())).filter(|w| !w.is_empty())
}

impl SqlStore {
    pub(super) async fn overview_page(
        &self,
        ws: WorkspaceId,
        f: &OverviewFilter,
    ) -> Result<OverviewPage> {
        if f.limit == 0 {
            return Ok(OverviewPage {
                items: Vec::new(),
                logins: Vec::new(),
                next: None,
            });
        }
        let q = match (f.after.is_some(), &self.pool) {
            (false, Pool::Sqlite(_)) => sql::OVERVIEW_ROWS_SQLITE,
            (true, Pool::Sqlite(_)) => sql::OVERVIEW_ROWS_AFTER_SQLITE,
            (false, Pool::Postgres(_)) => sql::OVERVIEW_ROWS_PG,
            (true, Pool::Postgres(_)) => sql::OVERVIEW_ROWS_AFTER_PG,
        };
        let search = f.search.as_deref().and_then(search_words);
        // One more than asked, to know whether a next page exists.
        let mut refs: Vec<RowRef> = on_pool!(&self.pool, |p| sqlx::query_as(q)
            .bind(ws.0)
            .bind(f.status.map(|s| i64::from(s.triage())))
            .bind(f.not_green.then_some(true))
            .bind(f.owner.map(one))
            .bind(f.feature.map(one))
            .bind(f.network.map(|n| n.as_str()))
            .bind(search.as_deref())
            .bind(f.action.map(Action::as_str))
            .bind(f.after.as_ref().map(|c| i64::from(c.status.triage())))
            .bind(f.after.as_ref().map(|c| c.sort_name.as_str()))
            .bind(f.after.as_ref().map(|c| c.id))
            .bind(i64::from(f.limit) + 1)
            .fetch_all(p)
            .await)?;
        let more = refs.len() > f.limit as usize;
        refs.truncate(f.limit as usize);
        let next = match (more, refs.last()) {
            (true, Some((_, id, _, triage, sort_name))) => Some(OverviewCursor {
                status: status_of(*triage)?,
                sort_name: sort_name.clone(),
                id: *id,
            }),
            _ => None,
        };

        let asset_ids: Vec<Uuid> = refs.iter().filter(|r| r.0 == "a").map(|r| r.1).collect();
        let login_rows: Vec<Uuid> = refs.iter().filter(|r| r.0 == "l").map(|r| r.1).collect();
        let mut login_ids: Vec<Uuid> = refs.iter().map(|r| r.2).collect();
        login_ids.sort();
        login_ids.dedup();

        let assets = self
            .by_ids::<AssetRecordRow>(
                ws,
                &asset_ids,
                sql::ASSETS_BY_IDS_SQLITE,
                sql::ASSETS_BY_IDS_PG,
            )
            .await?;
        let mut assets: BTreeMap<Uuid, AssetRecord> = assets
            .into_iter()
            .map(|r| asset_record(r).map(|a| (a.asset.id.0, a)))
            .collect::<Result<_>>()?;
        let logins: Vec<Login> = self
            .by_ids::<LoginRow>(
                ws,
                &login_ids,
                sql::LOGINS_BY_IDS_SQLITE,
                sql::LOGINS_BY_IDS_PG,
            )
            .await?
            .into_iter()
            .map(login)
            .collect::<Result<_>>()?;
        let reports: Vec<(Uuid, Json<Value>)> = self
            .by_ids(
                ws,
                &login_rows,
                sql::DIAGNOSES_BY_IDS_SQLITE,
                sql::DIAGNOSES_BY_IDS_PG,
            )
            .await?;
        let mut reports: BTreeMap<Uuid, Value> =
            reports.into_iter().map(|(id, r)| (id, r.0)).collect();

        let items = refs
            .into_iter()
            .filter_map(|(kind, id, _, _, _)| match kind.as_str() {
                "a" => assets.remove(&id).map(OverviewItem::Asset),
                _ => Some(OverviewItem::Login {
                    login_id: LoginId(id),
                    report: reports.remove(&id),
                }),
            })
            .collect();
        Ok(OverviewPage {
            items,
            logins,
            next,
        })
    }

    /// Rows of `ws` whose ids are in `ids`, in one query: PostgreSQL takes the ids as an array,
    /// SQLite (no arrays) as a JSON list of hex strings.
    async fn by_ids<R>(
        &self,
        ws: WorkspaceId,
        ids: &[Uuid],
        sqlite: &'static str,
        pg: &'static str,
    ) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match &self.pool {
            Pool::Postgres(p) => {
                sqlx::query_as(pg)
                    .bind(ws.0)
                    .bind(ids.to_vec())
                    .fetch_all(p)
                    .await?
            }
            Pool::Sqlite(p) => {
                let hex: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
                sqlx::query_as(sqlite)
                    .bind(ws.0)
                    .bind(Value::from(hex).to_string())
                    .fetch_all(p)
                    .await?
            }
        })
    }

    pub(super) async fn overview_counts(&self, ws: WorkspaceId) -> Result<OverviewCounts> {
        type Counted = (Vec<(i64, i64)>, Vec<(String, i64)>, Vec<(String,)>);
        let (rows, fixes, networks): Counted = on_pool!(&self.pool, |p| {
            let rows = sqlx::query_as(sql::COUNT_ROWS_BY_TRIAGE)
                .bind(ws.0)
                .fetch_all(p)
                .await?;
            let fixes = sqlx::query_as(sql::COUNT_FIXES)
                .bind(ws.0)
                .fetch_all(p)
                .await?;
            let networks = sqlx::query_as(sql::LOGIN_NETWORKS)
                .bind(ws.0)
                .fetch_all(p)
                .await?;
            Ok::<_, sqlx::Error>((rows, fixes, networks))
        })?;
        let mut statuses = rows
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(rank, n)| Ok((status_of(rank)?, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<Vec<(Status, u64)>>>()?;
        statuses.sort_by_key(|(s, _)| s.triage());
        let mut fixes = fixes
            .into_iter()
            .map(|(a, n)| {
                Ok((
                    word::<Action>("fixes.action", &a)?,
                    u64::try_from(n).unwrap_or(0),
                ))
            })
            .collect::<Result<Vec<(Action, u64)>>>()?;
        fixes.sort();
        let mut networks = networks
            .into_iter()
            .map(|(n,)| word::<Network>("logins.network", &n))
            .collect::<Result<Vec<Network>>>()?;
        networks.sort();
        Ok(OverviewCounts {
            statuses,
            fixes,
            networks,
        })
    }

    pub(super) async fn login_records(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> Result<Vec<AssetRecord>> {
        let rows: Vec<AssetRecordRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LOGIN_RECORDS)
                .bind(ws.0)
                .bind(login.0)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(asset_record).collect()
    }

    pub(super) async fn account_reach(
        &self,
        ws: WorkspaceId,
        kind: AssetKind,
        platform_id: &str,
    ) -> Result<Vec<AssetRecord>> {
        let rows: Vec<AssetRecordRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::ASSETS_BY_PLATFORM_ID)
                .bind(ws.0)
                .bind(kind.as_str())
                .bind(platform_id)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(asset_record).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_trimmed_and_lowercased_as_the_rows_are() {
        assert_eq!(
            search_words("  Harbor Bakery "),
            Some("harbor bakery".into())
        );
        assert_eq!(search_words("50%_off!"), Some("50%_off!".into()));
        assert_eq!(search_words("   "), None);
    }

    #[test]
    fn every_triage_rank_names_its_status() {
        for s in Status::ALL {
            assert_eq!(status_of(i64::from(s.triage())).unwrap(), *s);
        }
        assert!(status_of(9).is_err());
    }
}
