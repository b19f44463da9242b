//! Logins' sealed tokens: sealing on connect and reconnect, opening, erasing on disconnect, and
//! re-sealing on rotation (webhook endpoints' signing secrets too).

use super::mail::MailAad;
use super::rows::*;
use super::webhooks::endpoint_aad;
use super::{BeginWrite, Pool, SqlStore};
use crate::seal::{TokenAad, TokenKind};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::SecretString;
use tether_core::vocab::{Network, Status};
use uuid::Uuid;

pub(super) fn user_aad(login: Uuid, network: Network) -> TokenAad {
    TokenAad {
        login_id: login,
        network,
        kind: TokenKind::User,
    }
}

pub(super) fn refresh_aad(login: Uuid, network: Network) -> TokenAad {
    TokenAad {
        login_id: login,
        network,
        kind: TokenKind::Refresh,
    }
}

impl SqlStore {
    pub(super) async fn insert_or_reconnect(
        &self,
        ws: WorkspaceId,
        new: NewLogin,
        now: Timestamp,
    ) -> Result<Login> {
        let network = new.network.as_str();
        let row: LoginRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let existing: Option<(Uuid,)> = sqlx::query_as(sql::FIND_LOGIN_ID)
                .bind(ws.0)
                .bind(network)
                .bind(&new.platform_user_id)
                .fetch_optional(&mut *tx)
                .await?;
            // The id must be known before sealing: it is part of the token's AAD.
            let id = existing.map_or_else(Uuid::now_v7, |(id,)| id);
            let sealed = self.keys.seal(&new.token, &user_aad(id, new.network));
            let key_id = i64::from(self.keys.active_id());
            let row: LoginRow = if existing.is_some() {
                let row = sqlx::query_as(sql::RECONNECT_LOGIN)
                    .bind(ws.0)
                    .bind(id)
                    .bind(&new.person_name)
                    .bind(&sealed)
                    .bind(key_id)
                    .bind(new.expires_at.map(us))
                    .bind(new.data_access_expires_at.map(us))
                    .bind(us(now))
                    .bind(sort_name(&new.person_name))
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(sql::SET_ASSETS_PERSON)
                    .bind(ws.0)
                    .bind(id)
                    .bind(sort_name(&new.person_name))
                    .execute(&mut *tx)
                    .await?;
                row
            } else {
                sqlx::query_as(sql::INSERT_LOGIN)
                    .bind(id)
                    .bind(ws.0)
                    .bind(network)
                    .bind(&new.platform_user_id)
                    .bind(&new.person_name)
                    .bind(&sealed)
                    .bind(key_id)
                    .bind(new.expires_at.map(us))
                    .bind(new.data_access_expires_at.map(us))
                    .bind(Status::Pending.as_str())
                    .bind(us(now))
                    .bind(sort_name(&new.person_name))
                    .bind(i64::from(Status::Pending.triage()))
                    .fetch_one(&mut *tx)
                    .await?
            };
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        login(row)
    }

    pub(super) async fn open_token(&self, ws: WorkspaceId, id: LoginId) -> Result<SecretString> {
        let row: Option<(String, Vec<u8>, Option<i64>)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_LOGIN_TOKEN)
                .bind(ws.0)
                .bind(id.0)
                .fetch_optional(p)
                .await)?;
        let (network, sealed, disconnected_at) = row.ok_or(StoreError::NotFound {
            what: "login",
            id: id.0,
        })?;
        if disconnected_at.is_some() {
            return Err(StoreError::Disconnected { login: id.0 });
        }
        let network: Network = word("logins.network", &network)?;
        self.keys
            .open(&sealed, &user_aad(id.0, network))
            .map_err(|source| StoreError::Seal {
                login: id.0,
                source,
            })
    }

    pub(super) async fn disconnect(
        &self,
        ws: WorkspaceId,
        id: LoginId,
        now: Timestamp,
    ) -> Result<bool> {
        // An empty value keeps token_sealed NOT NULL; it never opens (no key id, no nonce), and
        // open_token answers Disconnected before trying.
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DISCONNECT_LOGIN)
            .bind(ws.0)
            .bind(id.0)
            .bind(Vec::<u8>::new())
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Logins first, then webhook endpoints; each batch is one transaction.
    pub(super) async fn reseal(
        &self,
        batch: u32,
        progress: &mut (dyn FnMut(ResealProgress) + Send),
    ) -> Result<ResealProgress> {
        let active = i64::from(self.keys.active_id());
        let (tokens, secrets, mail): ((i64,), (i64,), (i64,)) = on_pool!(&self.pool, |p| {
            let tokens = sqlx::query_as(sql::COUNT_STALE_TOKENS)
                .bind(active)
                .fetch_one(p)
                .await?;
            let secrets = sqlx::query_as(sql::COUNT_STALE_SECRETS)
                .bind(active)
                .fetch_one(p)
                .await?;
            let mail = sqlx::query_as(sql::COUNT_STALE_MAIL)
                .bind(active)
                .fetch_one(p)
                .await?;
            Ok::<_, sqlx::Error>((tokens, secrets, mail))
        })?;
        let mut state = ResealProgress {
            done: 0,
            total: u64::try_from(tokens.0.saturating_add(secrets.0).saturating_add(mail.0))
                .unwrap_or_default(),
        };
        let batch = i64::from(batch.max(1));
        loop {
            let resealed: u64 = on_pool!(&self.pool, |p| {
                let mut tx = p.begin_write().await?;
                type Stale = (Uuid, String, Vec<u8>, i64, Option<Vec<u8>>);
                let rows: Vec<Stale> = sqlx::query_as(sql::STALE_TOKENS)
                    .bind(active)
                    .bind(batch)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut n = 0u64;
                for (id, network, sealed, old_key, refresh) in rows {
                    let network = word("logins.network", &network)?;
                    let aad = user_aad(id, network);
                    // A row that does not open stops the rotation: skipping it would leave it
                    // stale forever, and dropping it would lose a connection.
                    let token = self
                        .keys
                        .open(&sealed, &aad)
                        .map_err(|source| StoreError::Seal { login: id, source })?;
                    // The refresh token shares the access token's key id: both move together.
                    let refresh = match refresh {
                        Some(r) => {
                            let aad = refresh_aad(id, network);
                            let t = self
                                .keys
                                .open(&r, &aad)
                                .map_err(|source| StoreError::Seal { login: id, source })?;
                            Some(self.keys.seal(&t, &aad))
                        }
                        None => None,
                    };
                    sqlx::query(sql::RESEAL_TOKEN)
                        .bind(id)
                        .bind(old_key)
                        .bind(self.keys.seal(&token, &aad))
                        .bind(active)
                        .bind(refresh)
                        .execute(&mut *tx)
                        .await?;
                    n += 1;
                }
                if n == 0 {
                    let rows: Vec<(Uuid, Uuid, Vec<u8>, i64)> = sqlx::query_as(sql::STALE_SECRETS)
                        .bind(active)
                        .bind(batch)
                        .fetch_all(&mut *tx)
                        .await?;
                    for (id, ws, sealed, old_key) in rows {
                        let aad = endpoint_aad(id, ws);
                        let secret = self.keys.open(&sealed, &aad).map_err(|source| {
                            StoreError::EndpointSeal {
                                endpoint: id,
                                source,
                            }
                        })?;
                        sqlx::query(sql::RESEAL_SECRET)
                            .bind(id)
                            .bind(old_key)
                            .bind(self.keys.seal(&secret, &aad))
                            .bind(active)
                            .execute(&mut *tx)
                            .await?;
                        n += 1;
                    }
                }
                if n == 0 {
                    let rows: Vec<(Uuid, Vec<u8>, i64)> = sqlx::query_as(sql::STALE_MAIL)
                        .bind(active)
                        .bind(batch)
                        .fetch_all(&mut *tx)
                        .await?;
                    for (ws, sealed, old_key) in rows {
                        let aad = MailAad(ws);
                        let password = self.keys.open(&sealed, &aad).map_err(|source| {
                            StoreError::MailSeal {
                                workspace: ws,
                                source,
                            }
                        })?;
                        sqlx::query(sql::RESEAL_MAIL)
                            .bind(ws)
                            .bind(old_key)
                            .bind(self.keys.seal(&password, &aad))
                            .bind(active)
                            .execute(&mut *tx)
                            .await?;
                        n += 1;
                    }
                }
                tx.commit().await?;
                Ok::<_, StoreError>(n)
            })?;
            if resealed == 0 {
                return Ok(state);
            }
            state.done += resealed;
            state.total = state.total.max(state.done);
            progress(state);
        }
    }
}
