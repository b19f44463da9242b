//! Workspaces (settings, digests) and their API keys.

use super::rows::*;
use super::{Pool, SqlStore};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use uuid::Uuid;

impl SqlStore {
    pub(super) async fn new_workspace(&self, name: &str, now: Timestamp) -> Result<Workspace> {
        let ws = Workspace {
            id: WorkspaceId::new(),
            name: name.to_owned(),
            created_at: now,
            profile: None,
            warning_days: None,
        };
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_WORKSPACE)
            .bind(ws.id.0)
            .bind(&ws.name)
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(ws)
    }

    pub(super) async fn workspace_row(&self, id: WorkspaceId) -> Result<Option<Workspace>> {
        let row: Option<WorkspaceRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_WORKSPACE)
                .bind(id.0)
                .fetch_optional(p)
                .await)?;
        row.map(workspace).transpose()
    }

    pub(super) async fn new_api_key(&self, ws: WorkspaceId, now: Timestamp) -> Result<NewApiKey> {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let secret = format!("tk_{}", hex::encode(bytes));
        let prefix = secret[..10].to_owned();
        let id = ApiKeyId::new();
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_API_KEY)
            .bind(id.0)
            .bind(ws.0)
            .bind(&prefix)
            .bind(hash_secret(&secret))
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(NewApiKey {
            id,
            prefix,
            secret: SecretString::from(secret),
        })
    }

    pub(super) async fn key_workspace(&self, secret: &SecretString) -> Result<Option<WorkspaceId>> {
        let hash = hash_secret(secret.expose_secret());
        let row: Option<(Uuid,)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::AUTHENTICATE_API_KEY)
                .bind(&hash)
                .fetch_optional(p)
                .await)?;
        Ok(row.map(|(id,)| WorkspaceId(id)))
    }

    pub(super) async fn revoke_key(
        &self,
        ws: WorkspaceId,
        key: ApiKeyId,
        now: Timestamp,
    ) -> Result<bool> {
        let done = on_pool!(&self.pool, |p| sqlx::query(sql::REVOKE_API_KEY)
            .bind(ws.0)
            .bind(key.0)
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    pub(super) async fn workspaces(&self) -> Result<Vec<Workspace>> {
        let rows: Vec<WorkspaceRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_WORKSPACES)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(workspace).collect()
    }

    pub(super) async fn take_digest(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
        period: Duration,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::CLAIM_DIGEST)
            .bind(ws.0)
            .bind(us(now))
            .bind(us(now).saturating_sub(micros_of(period)))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(super) async fn api_keys(&self, ws: WorkspaceId) -> Result<Vec<ApiKey>> {
        let rows: Vec<ApiKeyRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_API_KEYS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(api_key).collect()
    }

    pub(super) async fn settings(
        &self,
        ws: WorkspaceId,
        profile: Option<&str>,
        warning_days: Option<u32>,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::UPDATE_WORKSPACE_SETTINGS)
            .bind(ws.0)
            .bind(profile)
            .bind(warning_days.map(i64::from))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
