//! [`PushStore`] on both engines: one query body each (`sql.rs`).

use super::rows::*;
use super::{BeginWrite, Pool, SqlStore};
use crate::pushes::{HandledPush, PushStore};
use crate::sql;
use crate::*;
use tether_core::vocab::Network;

impl PushStore for SqlStore {
    async fn handled_push(&self, network: Network, digest: &[u8]) -> Result<Option<HandledPush>> {
        let row: Option<(i64, Option<String>)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_HANDLED_PUSH)
                .bind(network.as_str())
                .bind(digest)
                .fetch_optional(p)
                .await)?;
        row.map(|(at, code)| {
            Ok(HandledPush {
                handled_at: ts("handled_pushes.handled_at", at)?,
                confirmation_code: code,
            })
        })
        .transpose()
    }

    async fn remember_push(
        &self,
        network: Network,
        digest: &[u8],
        handled: &HandledPush,
        forget_before: Timestamp,
    ) -> Result<()> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(sql::FORGET_HANDLED_PUSHES)
                .bind(us(forget_before))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql::REMEMBER_PUSH)
                .bind(network.as_str())
                .bind(digest)
                .bind(us(handled.handled_at))
                .bind(handled.confirmation_code.as_deref())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
