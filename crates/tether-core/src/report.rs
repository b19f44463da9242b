//! The diagnosis report: docs/REPORT.md's stable JSON contract. Field names here are that contract.

use crate::facts::PlatformError;
use crate::vocab::{
    Action, AssetKind, Feature, FeatureVerdict, FindingCode, Network, Owner, Status,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const REPORT_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub checked_at: Timestamp,
    pub network: Network,
    pub login: LoginReport,
    pub assets: Vec<AssetReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginReport {
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub status: Status,
    pub token: TokenReport,
    pub permissions: PermissionsReport,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReport {
    pub valid: bool,
    /// `null` when the platform says the token never expires.
    pub expires_at: Option<Timestamp>,
    pub data_access_expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionsReport {
    pub granted: Vec<String>,
    pub declined: Vec<String>,
    pub expired: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetReport {
    pub kind: AssetKind,
    pub id: String,
    pub name: Option<String>,
    pub status: Status,
    /// Every feature of the profile that applies to this asset kind.
    pub features: BTreeMap<Feature, FeatureVerdict>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub owner: Owner,
    pub features: Vec<Feature>,
    pub remedy: Remedy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// For an any-of task requirement: every task that would satisfy it, preferred first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks_any: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The date of a dated finding (expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_error: Option<PlatformError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedy {
    pub summary: String,
    pub steps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Finding {
    /// The fix this finding asks someone to make; `None` for a note to the app's team that breaks
    /// nothing (a retired scope still held), which no one has to act on.
    pub fn fix(&self) -> Option<Action> {
        let action = self.code.action();
        (!(self.features.is_empty() && action == Action::AppReview)).then_some(action)
    }
}

impl Report {
    /// The exit status `tether diagnose` uses: 0 when the login and every asset are connected,
    /// 1 when anything needs attention.
    pub fn all_connected(&self) -> bool {
        self.login.status == Status::Connected
            && self.assets.iter().all(|a| a.status == Status::Connected)
    }
}
