//! The scheduler's side of logins: leases, releases with the check's outcome, and push requests
//! for an earlier check.

use super::rows::*;
use super::{Pool, SqlStore};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use std::time::Duration;
use uuid::Uuid;

impl SqlStore {
    pub(super) async fn claim_logins(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
        network: Option<tether_core::vocab::Network>,
    ) -> Result<Vec<Claim>> {
        let until = us(now).saturating_add(micros_of(lease));
        let q = self.dialect(sql::CLAIM_LOGINS_SQLITE, sql::CLAIM_LOGINS_PG);
        let mut rows: Vec<(Uuid, Uuid)> = on_pool!(&self.pool, |p| sqlx::query_as(q)
            .bind(owner)
            .bind(until)
            .bind(us(now))
            .bind(i64::from(limit))
            .bind(network.map(|n| n.as_str()))
            .fetch_all(p)
            .await)?;
        // RETURNING has no defined order on either engine.
        rows.sort();
        Ok(rows
            .into_iter()
            .map(|(l, w)| Claim {
                login_id: LoginId(l),
                workspace_id: WorkspaceId(w),
            })
            .collect())
    }

    pub(super) async fn release(
        &self,
        login: LoginId,
        owner: &str,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
    ) -> Result<bool> {
        let n = match outcome {
            CheckOutcome::Verified => on_pool!(&self.pool, |p| sqlx::query(sql::RELEASE_VERIFIED)
                .bind(login.0)
                .bind(owner)
                .bind(us(next_check_at))
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?,
            CheckOutcome::Failed { reason } => {
                on_pool!(&self.pool, |p| sqlx::query(sql::RELEASE_FAILED)
                    .bind(login.0)
                    .bind(owner)
                    .bind(us(next_check_at))
                    .bind(clip(&reason))
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected()))?
            }
        };
        Ok(n == 1)
    }

    pub(super) async fn bring_forward(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        at: Timestamp,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::SCHEDULE_CHECK)
            .bind(ws.0)
            .bind(login.0)
            .bind(us(at))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
