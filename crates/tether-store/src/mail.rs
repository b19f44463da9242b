//! Email to people: a workspace's SMTP settings (the password sealed at rest) and each person's
//! choice of alerts and digests, with how far they have been told. Its own small trait: the
//! mailer needs this and nothing else of the store.

use crate::Result;
use crate::model::{Transition, User, UserId, WorkspaceId};
use jiff::Timestamp;
use secrecy::SecretString;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;
use tether_core::vocab::UnknownWord;
use uuid::Uuid;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or a trusted network.
    None,
}

impl MailSecurity {
    pub const ALL: &'static [MailSecurity] = &[
        MailSecurity::StartTls,
        MailSecurity::Tls,
        MailSecurity::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailSecurity::StartTls => "starttls",
            MailSecurity::Tls => "tls",
            MailSecurity::None => "none",
        }
    }
}

impl fmt::Display for MailSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MailSecurity {
    type Err = UnknownWord;
    fn from_str(s: &str) -> std::result::Result<Self, UnknownWord> {
        MailSecurity::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownWord {
                kind: "MailSecurity",
                word: s.to_owned(),
                known: &["starttls", "tls", "none"],
            })
    }
}

/// A workspace's SMTP server, as shown in Settings (the password is never handed out here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
    pub from_address: String,
    pub has_password: bool,
    pub updated_at: Timestamp,
}

/// Settings to store. `password: None` keeps the stored one (a form never shows it back).
#[derive(Debug, Clone)]
pub struct NewMailSettings {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
    pub password: Option<SecretString>,
    pub from_address: String,
}

/// A person who may be mailed, with their choices and how far they have been told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user: User,
    pub alerts: bool,
    pub digest: bool,
    /// The last status change they were told about (its `at` and id); `None`: not started.
    pub alerted: Option<(Timestamp, Uuid)>,
    pub digest_at: Option<Timestamp>,
}

pub trait MailStore: Send + Sync {
    fn mail_settings(
        &self,
        ws: WorkspaceId,
    ) -> impl Future<Output = Result<Option<MailSettings>>> + Send;
    /// The SMTP password, opened; `None` if none is stored.
    fn mail_password(
        &self,
        ws: WorkspaceId,
    ) -> impl Future<Output = Result<Option<SecretString>>> + Send;
    fn put_mail_settings(
        &self,
        ws: WorkspaceId,
        settings: &NewMailSettings,
        now: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Turns email off for the workspace. False if it was not on.
    fn delete_mail_settings(&self, ws: WorkspaceId) -> impl Future<Output = Result<bool>> + Send;
    /// Across ALL workspaces: those with email on, for the mailer.
    fn mail_workspaces(&self) -> impl Future<Output = Result<Vec<WorkspaceId>>> + Send;
    /// The workspace's active people with their choices.
    fn recipients(&self, ws: WorkspaceId) -> impl Future<Output = Result<Vec<Recipient>>> + Send;
    /// A person's own choices. False if there is no such active person in `ws`.
    fn set_mail_choice(
        &self,
        ws: WorkspaceId,
        user: UserId,
        alerts: bool,
        digest: bool,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The workspace's status changes after `after` (by `(at, id)`), oldest first, at most
    /// `limit`.
    fn transitions_after(
        &self,
        ws: WorkspaceId,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Transition>>> + Send;
    /// Records that `user` was told about every change up to `(at, id)`.
    fn set_alerted(
        &self,
        ws: WorkspaceId,
        user: UserId,
        at: Timestamp,
        id: Uuid,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Takes the person's digest for this period: true (and their digest time moves to `now`) if
    /// their last one is older than `period` or there was none. Of two processes, one gets true.
    fn claim_user_digest(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: Timestamp,
        period: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
}
