//! Waking a deliverer in another process the moment events are committed: on PostgreSQL the
//! transactions that write deliveries NOTIFY (`sql::NOTIFY_DELIVERIES_PG`), and a deliverer
//! LISTENs here. SQLite is one process, woken in memory, so it has no listener.

use super::{Pool, SqlStore};
use crate::sql;
use crate::*;

/// A subscription to "deliveries were written" on this database.
pub struct DeliveryWake(sqlx::postgres::PgListener);

impl DeliveryWake {
    /// Waits for the next commit that wrote deliveries (several may be folded into one wake).
    pub async fn wait(&mut self) -> Result<()> {
        self.0.recv().await?;
        Ok(())
    }
}

impl SqlStore {
    /// A listener on PostgreSQL; `None` on SQLite.
    pub async fn listen_for_deliveries(&self) -> Result<Option<DeliveryWake>> {
        match &self.pool {
            Pool::Postgres(p) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(p).await?;
                listener.listen(sql::DELIVERIES_CHANNEL).await?;
                Ok(Some(DeliveryWake(listener)))
            }
            Pool::Sqlite(_) => Ok(None),
        }
    }
}
