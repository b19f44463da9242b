//! [`BudgetStore`] on both engines: one query body each (`sql.rs`); the row is locked while it
//! is read and written (SQLite's write transaction, PostgreSQL's FOR UPDATE).

use super::rows::*;
use super::{BeginWrite, Pool, SqlStore};
use crate::budgets::{BudgetStore, PlatformUsage, Taken};
use crate::sql;
use crate::*;
use jiff::SignedDuration;
use tether_core::vocab::Network;

const HOUR: SignedDuration = SignedDuration::from_hours(1);

impl BudgetStore for SqlStore {
    async fn take_calls(
        &self,
        network: Network,
        now: Timestamp,
        per_hour: u32,
        want: u32,
    ) -> Result<Taken> {
        let read = self.dialect(sql::CALL_BUDGET, sql::CALL_BUDGET_PG);
        let (window_start, granted, usage) = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(sql::NEW_CALL_BUDGET)
                .bind(network.as_str())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            let (start, used, percent, usage_at): (i64, i64, Option<i64>, Option<i64>) =
                sqlx::query_as(read)
                    .bind(network.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            let usage = match (percent, usage_at) {
                (Some(p), Some(at)) => Some(PlatformUsage {
                    percent: u32::try_from(p).unwrap_or(0),
                    at: ts("call_budgets.usage_at", at)?,
                }),
                _ => None,
            };
            let start = ts("call_budgets.window_start", start)?;
            let (start, used) = if start.saturating_add(HOUR).unwrap_or(start) <= now {
                (now, 0)
            } else {
                (start, u32::try_from(used).unwrap_or(u32::MAX))
            };
            let granted = want.min(per_hour.saturating_sub(used));
            sqlx::query(sql::SET_CALL_BUDGET)
                .bind(network.as_str())
                .bind(us(start))
                .bind(i64::from(used.saturating_add(granted)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>((start, granted, usage))
        })?;
        Ok(Taken {
            granted,
            window_start,
            usage,
        })
    }

    async fn note_usage(&self, network: Network, usage: PlatformUsage) -> Result<()> {
        on_pool!(&self.pool, |p| sqlx::query(sql::NOTE_PLATFORM_USAGE)
            .bind(network.as_str())
            .bind(us(usage.at))
            .bind(i64::from(usage.percent))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn give_back_calls(
        &self,
        network: Network,
        window_start: Timestamp,
        calls: u32,
    ) -> Result<()> {
        if calls == 0 {
            return Ok(());
        }
        on_pool!(&self.pool, |p| sqlx::query(sql::GIVE_BACK_CALLS)
            .bind(network.as_str())
            .bind(us(window_start))
            .bind(i64::from(calls))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
