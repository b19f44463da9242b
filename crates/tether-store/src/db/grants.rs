//! [`GrantStore`] on both engines: one query body each (`sql.rs`), tokens sealed per kind.

use super::rows::*;
use super::tokens::{refresh_aad, user_aad};
use super::{Pool, SqlStore};
use crate::grants::{Grant, GrantStore, NewGrant};
use crate::sql;
use crate::*;
use tether_core::vocab::Network;

type GrantRow = (
    String,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

impl GrantStore for SqlStore {
    async fn grant(&self, ws: WorkspaceId, login: LoginId) -> Result<Grant> {
        let row: Option<GrantRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_GRANT)
            .bind(ws.0)
            .bind(login.0)
            .fetch_optional(p)
            .await)?;
        let (network, sealed, refresh, issued, expires, refresh_expires, granted, disconnected) =
            row.ok_or(StoreError::NotFound {
                what: "login",
                id: login.0,
            })?;
        if disconnected.is_some() {
            return Err(StoreError::Disconnected { login: login.0 });
        }
        let network: Network = word("logins.network", &network)?;
        let open = |blob: &[u8], aad| {
            self.keys
                .open(blob, &aad)
                .map_err(|source| StoreError::Seal {
                    login: login.0,
                    source,
                })
        };
        let when = |col, v: Option<i64>| v.map(|us| ts(col, us)).transpose();
        Ok(Grant {
            access_token: open(&sealed, user_aad(login.0, network))?,
            refresh_token: refresh
                .map(|r| open(&r, refresh_aad(login.0, network)))
                .transpose()?,
            issued_at: when("logins.token_issued_at", issued)?,
            expires_at: when("logins.expires_at", expires)?,
            refresh_expires_at: when("logins.refresh_expires_at", refresh_expires)?,
            granted: granted
                .map(|g| {
                    serde_json::from_str(&g).map_err(|e| StoreError::Corrupt {
                        column: "logins.granted",
                        value: e.to_string(),
                    })
                })
                .transpose()?,
        })
    }

    async fn put_grant(&self, ws: WorkspaceId, login: LoginId, g: &NewGrant) -> Result<bool> {
        let Some(existing) = self.get_login(ws, login).await? else {
            return Ok(false);
        };
        let network = existing.network;
        let sealed = self.keys.seal(&g.access_token, &user_aad(login.0, network));
        let refresh = g
            .refresh_token
            .as_ref()
            .map(|r| self.keys.seal(r, &refresh_aad(login.0, network)));
        let granted = g
            .granted
            .as_ref()
            .map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::PUT_GRANT)
            .bind(ws.0)
            .bind(login.0)
            .bind(&sealed)
            .bind(i64::from(self.keys.active_id()))
            .bind(refresh.clone())
            .bind(us(g.issued_at))
            .bind(g.expires_at.map(us))
            .bind(g.refresh_expires_at.map(us))
            .bind(granted.clone())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
