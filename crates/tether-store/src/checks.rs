//! A check's own reads and writes: the facts a login was last judged on, read in one query, and
//! a new check recorded in one transaction (its assets, facts, known token facts, verdicts,
//! transitions and events). Facts travel typed; the store alone turns them into JSON and back.

use crate::{AssetId, Diagnosis, LoginId, Result, Stamped, Transition, WorkspaceId};
use serde_json::Value;
use std::future::Future;
use tether_core::{AssetFacts, LoginFacts};

/// The facts a login's last check was judged on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedFacts {
    /// The login's own (token, permissions), with when they were seen; `None` before its first
    /// check.
    pub login: Option<Stamped<LoginFacts>>,
    /// Every asset the login reaches, with its stored facts; an asset stored without facts (or
    /// whose stored facts no longer read) stands as listed under its stored name.
    pub assets: Vec<(AssetId, AssetFacts)>,
}

/// What one check saw, recorded with its diagnosis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen<'a> {
    pub login: &'a LoginFacts,
    /// The assets in the diagnosis's order, each under its stored id, or a new id for one seen
    /// for the first time (the store keeps the stored id if another check created it meanwhile).
    pub assets: &'a [(AssetId, &'a AssetFacts)],
    /// What token inspection said, kept so the next routine check can skip it.
    pub known_token: Option<&'a Value>,
}

pub trait CheckStore: Send + Sync {
    /// The login's facts and its assets', in one query. Assets of another workspace's login are
    /// never returned.
    fn checked_facts(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> impl Future<Output = Result<CheckedFacts>> + Send;

    /// Records a check in one transaction: creates the assets seen for the first time (renames
    /// the others), replaces the facts and known token facts, then records the diagnosis as
    /// [`crate::Store::record_diagnosis`] does. The diagnosis's verdicts name the assets by the
    /// ids in `seen`. Returns the transitions written.
    fn record_check(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        seen: Seen<'_>,
        diagnosis: &Diagnosis,
    ) -> impl Future<Output = Result<Vec<Transition>>> + Send;
}
