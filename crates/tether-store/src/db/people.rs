//! People who sign in to the dashboard: users (created or invited), invitations accepted once,
//! and browser sessions. Secrets (invitation links, session cookies) are kept only as hashes.

use super::rows::*;
use super::{BeginWrite, Pool, SqlStore};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::SecretString;
use uuid::Uuid;

/// Sign-in compares emails as people type them: surrounding spaces and case do not matter.
fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A unique-index violation on insert is a taken email (the only unique key a caller chooses;
/// ids and secret hashes are random). Another writer may have taken it since we looked.
fn taken(e: sqlx::Error, email: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => duplicate(email),
        _ => e.into(),
    }
}

/// Makes `user` a member of `ws` with `role`, inside the caller's transaction (a macro: the
/// connection's type differs per engine).
macro_rules! insert_membership {
    ($conn:expr, $user:expr, $ws:expr, $role:expr, $now:expr) => {
        sqlx::query(sql::INSERT_MEMBERSHIP)
            .bind($user)
            .bind($ws.0)
            .bind($role.as_str())
            .bind(us($now))
            .execute($conn)
            .await?
    };
}

fn duplicate(email: &str) -> StoreError {
    StoreError::Duplicate {
        what: "user",
        value: email.to_owned(),
    }
}

impl SqlStore {
    pub(super) async fn new_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User> {
        let email = normalize(email);
        let row: UserRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let row: UserRow = sqlx::query_as(sql::INSERT_USER)
                .bind(Uuid::now_v7())
                .bind(ws.0)
                .bind(&email)
                .bind(role.as_str())
                .bind(true)
                .bind(password_hash)
                .bind(None::<Vec<u8>>)
                .bind(None::<i64>)
                .bind(us(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| taken(e, &email))?;
            insert_membership!(&mut *tx, row.id(), ws, role, now);
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        user(row)
    }

    pub(super) async fn invite(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(User, SecretString)> {
        let email = normalize(email);
        let secret = random_secret();
        let hash = hash_secret(&secret);
        let row: UserRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let existing: Option<(Uuid, Uuid, bool)> = sqlx::query_as(sql::USER_BY_EMAIL)
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
            let row: UserRow = match existing {
                None => {
                    let row: UserRow = sqlx::query_as(sql::INSERT_USER)
                        .bind(Uuid::now_v7())
                        .bind(ws.0)
                        .bind(&email)
                        .bind(role.as_str())
                        .bind(false)
                        .bind(None::<String>)
                        .bind(&hash)
                        .bind(us(expires_at))
                        .bind(us(now))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| taken(e, &email))?;
                    insert_membership!(&mut *tx, row.id(), ws, role, now);
                    row
                }
                // Sending the invitation again: the same person, a fresh link.
                Some((id, of_ws, false)) if of_ws == ws.0 => {
                    sqlx::query(sql::SET_MEMBERSHIP_ROLE)
                        .bind(id)
                        .bind(ws.0)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query_as(sql::REINVITE_USER)
                        .bind(id)
                        .bind(role.as_str())
                        .bind(&hash)
                        .bind(us(expires_at))
                        .fetch_one(&mut *tx)
                        .await?
                }
                Some(_) => return Err(duplicate(&email)),
            };
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        Ok((user(row)?, SecretString::from(secret)))
    }

    pub(super) async fn invite_of(&self, secret: &str, now: Timestamp) -> Result<Option<User>> {
        let row: Option<UserRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_INVITE)
            .bind(hash_secret(secret))
            .bind(us(now))
            .fetch_optional(p)
            .await)?;
        row.map(user).transpose()
    }

    pub(super) async fn accept(
        &self,
        secret: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let row: Option<UserRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::ACCEPT_INVITE)
            .bind(hash_secret(secret))
            .bind(password_hash)
            .bind(us(now))
            .fetch_optional(p)
            .await)?;
        row.map(user).transpose()
    }

    pub(super) async fn sign_in_user(&self, email: &str) -> Result<Option<(User, String)>> {
        let row: Option<SignInRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::FIND_USER_FOR_SIGN_IN)
                .bind(normalize(email))
                .fetch_optional(p)
                .await)?;
        row.map(|r| Ok((user(r.user)?, r.password_hash)))
            .transpose()
    }

    pub(super) async fn user_row(&self, ws: WorkspaceId, id: UserId) -> Result<Option<User>> {
        let row: Option<UserRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_USER)
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.map(user).transpose()
    }

    pub(super) async fn users(&self, ws: WorkspaceId) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_USERS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(user).collect()
    }

    /// Out of this workspace (signed out of it at once); a person left in no workspace is gone.
    pub(super) async fn remove_user(&self, ws: WorkspaceId, id: UserId) -> Result<bool> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(sql::DELETE_MEMBERSHIP)
                .bind(ws.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            for q in [sql::DELETE_WORKSPACE_SESSIONS, sql::MOVE_HOME] {
                sqlx::query(q)
                    .bind(ws.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(sql::DELETE_ORPHAN_USER)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }

    /// Adds a person who already signs in elsewhere to `ws`: `None` if no active person has this
    /// email (invite them instead), [`StoreError::Duplicate`] if they are already a member.
    pub(super) async fn add_existing(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let email = normalize(email);
        let row: Option<UserRow> = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let existing: Option<(Uuid, Uuid, bool)> = sqlx::query_as(sql::USER_BY_EMAIL)
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((id, _, true)) = existing else {
                return Ok(None);
            };
            let member: Option<(i32,)> = sqlx::query_as(sql::HAS_MEMBERSHIP)
                .bind(id)
                .bind(ws.0)
                .fetch_optional(&mut *tx)
                .await?;
            if member.is_some() {
                return Err(duplicate(&email));
            }
            insert_membership!(&mut *tx, id, ws, role, now);
            let row: UserRow = sqlx::query_as(sql::GET_USER)
                .bind(ws.0)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(Some(row))
        })?;
        row.map(user).transpose()
    }

    pub(super) async fn memberships(&self, id: UserId) -> Result<Vec<Membership>> {
        let rows: Vec<(Uuid, String, String)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_MEMBERSHIPS)
                .bind(id.0)
                .fetch_all(p)
                .await)?;
        rows.into_iter()
            .map(|(ws, name, role)| {
                Ok(Membership {
                    workspace_id: WorkspaceId(ws),
                    workspace_name: name,
                    role: word("memberships.role", &role)?,
                })
            })
            .collect()
    }

    pub(super) async fn switch(
        &self,
        secret: &str,
        ws: WorkspaceId,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::SWITCH_SESSION)
            .bind(hash_secret(secret))
            .bind(ws.0)
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(super) async fn set_password(
        &self,
        ws: WorkspaceId,
        id: UserId,
        password_hash: &str,
    ) -> Result<bool> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(sql::SET_USER_PASSWORD)
                .bind(ws.0)
                .bind(id.0)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            // A new password is how someone locks out whoever learnt the old one: every browser
            // signed in with it goes.
            sqlx::query(sql::DELETE_USER_SESSIONS)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }

    pub(super) async fn new_session(
        &self,
        u: &User,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<SecretString> {
        let secret = random_secret();
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_SESSION)
            .bind(Uuid::now_v7())
            .bind(u.id.0)
            .bind(hash_secret(&secret))
            .bind(us(expires_at))
            .bind(us(now))
            .bind(u.workspace_id.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 1 {
            Ok(SecretString::from(secret))
        } else {
            Err(StoreError::NotFound {
                what: "user",
                id: u.id.0,
            })
        }
    }

    pub(super) async fn session_of(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<SessionUser>> {
        let row: Option<SessionRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_SESSION)
            .bind(hash_secret(secret))
            .bind(us(now))
            .fetch_optional(p)
            .await)?;
        row.map(session).transpose()
    }

    pub(super) async fn end_session(&self, secret: &str) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DELETE_SESSION)
            .bind(hash_secret(secret))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(super) async fn purge_expired_sessions(&self, before: Timestamp) -> Result<u64> {
        on_pool!(&self.pool, |p| sqlx::query(sql::PURGE_SESSIONS)
            .bind(us(before))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::from)
    }
}
