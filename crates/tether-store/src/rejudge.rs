//! A catalog change's reads and writes (`tether catalog apply`): every stored login of a network
//! with the facts its last check stored, a page of logins per read; and many logins' new verdicts
//! written in one transaction with one statement per table, so a change over a million stored
//! assets is a few hundred transactions, not one per login.

use crate::{AssetId, Diagnosis, LoginId, Result, WorkspaceId};
use std::future::Future;
use tether_core::vocab::{Network, Status};
use tether_core::{AssetFacts, LoginFacts};

/// A login as its last check left it: its facts and its assets' with the statuses they were
/// judged to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLogin {
    pub workspace_id: WorkspaceId,
    pub id: LoginId,
    pub status: Status,
    pub facts: LoginFacts,
    /// Its assets' facts; one stored without facts (or whose facts no longer read) stands as
    /// listed under its stored name, as a check reads it.
    pub assets: Vec<AssetFacts>,
    /// Each asset's id and stored status, in `assets`' order.
    pub stored: Vec<(AssetId, Status)>,
}

/// One login's new verdict, judged from its stored facts.
#[derive(Debug, Clone, Copy)]
pub struct Rejudged<'a> {
    pub workspace_id: WorkspaceId,
    pub login: LoginId,
    /// Names the login's assets by their stored ids; an asset it leaves out is not written.
    pub diagnosis: &'a Diagnosis,
}

pub trait RejudgeStore: Send + Sync {
    /// Up to `limit` logins of `network` still connected in Tether and checked at least once,
    /// in id order after `after` (across workspaces: a catalog is the deployment's).
    fn stored_logins(
        &self,
        network: Network,
        after: Option<LoginId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredLogin>>> + Send;

    /// Records the verdicts in one transaction as a check records its own: statuses, reports,
    /// fixes and the logins' reports replaced, and a transition with its event (fanned out to
    /// the workspace's endpoints) for every status that changes, the old status read inside the
    /// transaction. Each login is stamped after its last recorded verdict. Returns the
    /// transitions (and so events) written.
    fn record_rejudged(&self, batch: &[Rejudged<'_>]) -> impl Future<Output = Result<u64>> + Send;
}
