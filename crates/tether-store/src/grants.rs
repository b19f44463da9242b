//! A login's grant: its access token, the refresh token some networks issue beside it, when they
//! were issued and until when they live, and the scopes the platform said it granted. Its own
//! small trait, like [`crate::MailStore`]: only the check pipeline and connect use it.

use crate::{LoginId, Result, WorkspaceId};
use jiff::Timestamp;
use secrecy::SecretString;
use std::future::Future;

/// What the store holds of a login's grant, tokens opened.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// `None` for logins stored before grants were kept (migration 0009).
    pub issued_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    /// `None`: the platform was never asked or did not say (Meta inspects a token instead).
    pub granted: Option<Vec<String>>,
}

/// A grant the platform just issued: at a connect, or a refresh.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub access_token: SecretString,
    /// A network that rotates its refresh token hands a new one with every refresh; `None`
    /// clears the stored one (a network without refresh tokens).
    pub refresh_token: Option<SecretString>,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    /// `None` keeps what was stored (a refresh that did not say).
    pub granted: Option<Vec<String>>,
}

pub trait GrantStore: Send + Sync {
    /// The login's grant, opened. A disconnected login has none ([`crate::StoreError::Disconnected`]).
    fn grant(&self, ws: WorkspaceId, login: LoginId) -> impl Future<Output = Result<Grant>> + Send;

    /// Writes a grant, both tokens sealed with the active key. False when the login is gone or
    /// was disconnected meanwhile (a refresh never revives a disconnected login).
    fn put_grant(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        grant: &NewGrant,
    ) -> impl Future<Output = Result<bool>> + Send;
}
