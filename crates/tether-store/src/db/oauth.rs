//! OAuth flow states: created with a secret only the browser's URL carries, consumed once.

use super::rows::*;
use super::{BeginWrite, Pool, SqlStore};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::SecretString;
use sqlx::types::Json;
use uuid::Uuid;

impl SqlStore {
    pub(super) async fn new_state(
        &self,
        state: &NewOAuthState,
        now: Timestamp,
    ) -> Result<SecretString> {
        let secret = random_secret();
        let ws = state.workspace_id;
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            // A flow of one workspace must not be able to reconnect (and so take over) another's
            // login.
            if let Some(login) = state.reconnect {
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
                sqlx::query(sql::END_RECONNECT_STATES)
                    .bind(login.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(sql::INSERT_OAUTH_STATE)
                .bind(Uuid::now_v7())
                .bind(ws.0)
                .bind(hash_secret(&secret))
                .bind(state.network.as_str())
                .bind(state.reconnect.map(|l| l.0))
                .bind(state.allow_other_person)
                .bind(Json(&state.scopes))
                .bind(state.rerequest)
                .bind(state.return_to.as_deref())
                .bind(us(state.expires_at))
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(SecretString::from(secret))
    }

    pub(super) async fn consume_state(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Result<OAuthState, StateRejection>> {
        let hash = hash_secret(secret);
        // An expired state is used up too, so it can never succeed later (say with a clock that
        // went back).
        let taken: Option<OAuthStateRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::CONSUME_OAUTH_STATE)
                .bind(&hash)
                .bind(us(now))
                .fetch_optional(p)
                .await)?;
        if let Some(row) = taken {
            let state = oauth_state(row)?;
            return Ok(if state.expires_at <= now {
                Err(StateRejection::Expired)
            } else {
                Ok(state)
            });
        }
        let expiry: Option<(i64,)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::OAUTH_STATE_EXPIRY)
                .bind(&hash)
                .fetch_optional(p)
                .await)?;
        Ok(Err(match expiry {
            None => StateRejection::Unknown,
            Some((expires_at,)) if expires_at <= us(now) => StateRejection::Expired,
            Some(_) => StateRejection::AlreadyUsed,
        }))
    }
}
