//! Email settings and each person's alerts and digests ([`crate::MailStore`]).

use super::rows::*;
use super::{Pool, SqlStore};
use crate::mail::*;
use crate::seal::SealAad;
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::SecretString;
use std::time::Duration;
use uuid::Uuid;

/// The workspace row an SMTP password belongs to.
pub(super) struct MailAad(pub Uuid);

impl SealAad for MailAad {
    fn aad_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(self.0.as_bytes());
        out.extend_from_slice(b"|smtp_password");
        out
    }
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    #[sqlx(flatten)]
    user: UserRow,
    alerts: bool,
    digest: bool,
    alerted_at: Option<i64>,
    alerted_id: Option<Uuid>,
    digest_at: Option<i64>,
}

type SettingsRow = (String, i64, String, String, String, bool, i64);

impl MailStore for SqlStore {
    async fn mail_settings(&self, ws: WorkspaceId) -> Result<Option<MailSettings>> {
        let row: Option<SettingsRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_MAIL_SETTINGS)
                .bind(ws.0)
                .fetch_optional(p)
                .await)?;
        row.map(
            |(host, port, security, username, from_address, has_password, at)| {
                Ok(MailSettings {
                    host,
                    port: u16::try_from(port).map_err(|_| StoreError::Corrupt {
                        column: "mail_settings.port",
                        value: port.to_string(),
                    })?,
                    security: word("mail_settings.security", &security)?,
                    username,
                    from_address,
                    has_password,
                    updated_at: ts("mail_settings.updated_at", at)?,
                })
            },
        )
        .transpose()
    }

    async fn mail_password(&self, ws: WorkspaceId) -> Result<Option<SecretString>> {
        let row: Option<(Option<Vec<u8>>,)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_MAIL_PASSWORD)
                .bind(ws.0)
                .fetch_optional(p)
                .await)?;
        let Some((Some(sealed),)) = row else {
            return Ok(None);
        };
        self.keys
            .open(&sealed, &MailAad(ws.0))
            .map(Some)
            .map_err(|source| StoreError::MailSeal {
                workspace: ws.0,
                source,
            })
    }

    async fn put_mail_settings(
        &self,
        ws: WorkspaceId,
        s: &NewMailSettings,
        now: Timestamp,
    ) -> Result<()> {
        let sealed = s
            .password
            .as_ref()
            .map(|p| self.keys.seal(p, &MailAad(ws.0)));
        let key_id = sealed.as_ref().map(|_| i64::from(self.keys.active_id()));
        on_pool!(&self.pool, |p| sqlx::query(sql::PUT_MAIL_SETTINGS)
            .bind(ws.0)
            .bind(&s.host)
            .bind(i64::from(s.port))
            .bind(s.security.as_str())
            .bind(&s.username)
            .bind(sealed.as_deref())
            .bind(key_id)
            .bind(&s.from_address)
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn delete_mail_settings(&self, ws: WorkspaceId) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DELETE_MAIL_SETTINGS)
            .bind(ws.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn mail_workspaces(&self) -> Result<Vec<WorkspaceId>> {
        let rows: Vec<(Uuid,)> = on_pool!(&self.pool, |p| sqlx::query_as(sql::MAIL_WORKSPACES)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(|(id,)| WorkspaceId(id)).collect())
    }

    async fn recipients(&self, ws: WorkspaceId) -> Result<Vec<Recipient>> {
        let rows: Vec<RecipientRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::RECIPIENTS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Recipient {
                    user: user(r.user)?,
                    alerts: r.alerts,
                    digest: r.digest,
                    alerted: match (r.alerted_at, r.alerted_id) {
                        (Some(at), Some(id)) => Some((ts("memberships.alerted_at", at)?, id)),
                        _ => None,
                    },
                    digest_at: opt_ts("memberships.digest_at", r.digest_at)?,
                })
            })
            .collect()
    }

    async fn set_mail_choice(
        &self,
        ws: WorkspaceId,
        user: UserId,
        alerts: bool,
        digest: bool,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::SET_MAIL_CHOICE)
            .bind(ws.0)
            .bind(user.0)
            .bind(alerts)
            .bind(digest)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn transitions_after(
        &self,
        ws: WorkspaceId,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> Result<Vec<Transition>> {
        let rows: Vec<TransitionRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::TRANSITIONS_AFTER)
                .bind(ws.0)
                .bind(after.map(|(at, _)| us(at)))
                .bind(after.map(|(_, id)| id))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(transition).collect()
    }

    async fn set_alerted(
        &self,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
        id: Uuid,
    ) -> Result<()> {
        on_pool!(&self.pool, |p| sqlx::query(sql::SET_ALERTED)
            .bind(ws.0)
            .bind(user.0)
            .bind(us(at))
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn claim_user_digest(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
        period: Duration,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::CLAIM_USER_DIGEST)
            .bind(ws.0)
            .bind(user.0)
            .bind(us(now))
            .bind(us(now).saturating_sub(micros_of(period)))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
