//! Opening a store: engine by URL, pool and busy timeouts, migrations; and which database errors
//! mean "unavailable, try later" rather than a bug.

use super::{Pool, SqlStore};
use crate::seal::KeyRing;
use crate::*;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteError, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long to wait for the database before answering [`StoreError::Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For a pooled connection (all engines); also bounds connecting.
    pub acquire: Duration,
    /// For SQLite's write lock held by another connection or process.
    pub busy: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            acquire: Duration::from_secs(5),
            busy: Duration::from_secs(5),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Db(e)
        }
    }
}

/// Trouble that passes by itself (a busy or unreachable database), as opposed to a bad query or
/// bad data: the server answers 503 for these.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if db.try_downcast_ref::<SqliteError>().is_some() {
                // Extended result codes carry the primary code in the low byte.
                const SQLITE_BUSY: i64 = 5;
                const SQLITE_LOCKED: i64 = 6;
                let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
                matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)
            } else if let Some(e) = db.try_downcast_ref::<PgDatabaseError>() {
                // 08: connection exception; 57P0x: shutting down or starting up; 53300: too many
                // connections.
                let code = e.code();
                code.starts_with("08") || code.starts_with("57P0") || code == "53300"
            } else {
                false
            }
        }
        _ => false,
    }
}

impl SqlStore {
    /// Connects and migrates, with the default [`Timeouts`] (5 s). `postgres://` or
    /// `postgresql://` selects PostgreSQL; `sqlite:` or a plain file path selects SQLite (created
    /// if missing, WAL). An unreachable server is [`StoreError::Unavailable`].
    pub async fn connect(url: &str, keys: KeyRing) -> Result<SqlStore> {
        SqlStore::connect_with(url, keys, Timeouts::default()).await
    }

    /// [`SqlStore::connect`] with other timeouts.
    pub async fn connect_with(url: &str, keys: KeyRing, timeouts: Timeouts) -> Result<SqlStore> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Short transactions only: JIT compilation (on by default above a plan cost that a
            // generic plan over a large workspace reaches) took 34 ms of a 78 ms overview query.
            let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(timeouts.acquire)
                    .connect_with(options)
                    .await?,
            )
        } else {
            let options = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url)?
            } else if url.contains("://") {
                let scheme = url.split("://").next().unwrap_or_default();
                return Err(StoreError::BadUrl(scheme.to_owned()));
            } else {
                SqliteConnectOptions::new()
                    .filename(url)
                    .create_if_missing(true)
            };
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(timeouts.busy)
                .pragma("mmap_size", "2147418112")
                // 64 MB of pages per connection instead of 2: a large write (a catalog change's
                // page of logins) no longer spills dirty pages to the log before its commit.
                .pragma("cache_size", "-65536")
                .foreign_keys(true);
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(timeouts.acquire)
                    .connect_with(options)
                    .await?,
            )
        };
        let store = SqlStore {
            pool,
            keys: Arc::new(keys),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any migrations not yet applied; a no-op on an up-to-date database.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// The key ring tokens are sealed with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Closes every connection (lets a test drop its database afterwards).
    pub async fn close(&self) {
        on_pool!(&self.pool, |p| p.close().await)
    }
}
