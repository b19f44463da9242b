//! Assembling the docs/REPORT.md document from verdicts and findings.

use super::Engine;
use super::compiled::{FeatureVerdicts, features_of};
use super::findings::{Drafts, LoginContext, Subject, owner, severity};
use crate::facts::{AssetFacts, LoginFacts, PermissionStatus, TokenValidity};
use crate::remedies::RemedyContext;
use crate::report::{
    AssetReport, Finding, LoginReport, PermissionsReport, REPORT_VERSION, Report, TokenReport,
};
use crate::vocab::{AssetKind, FindingCode, Status};
use jiff::Timestamp;
use std::cmp::Reverse;

impl Engine {
    /// The full report for one login and the assets it reaches, as of `now`.
    pub fn diagnose(&self, login: &LoginFacts, assets: &[AssetFacts], now: Timestamp) -> Report {
        let compiled = self.compile_login(login, now);
        let login_drafts = self.login_drafts(login, &compiled, now);
        let login_status = if compiled.is_broken() {
            Status::Disconnected
        } else {
            login_drafts
                .iter()
                .filter(|(_, d)| d.features != 0)
                .map(|((code, _), _)| severity(*code))
                .fold(Status::Connected, Status::worst)
        };
        let cx = LoginContext {
            facts: login,
            compiled: &compiled,
            drafts: &login_drafts,
        };
        let assets = assets
            .iter()
            .map(|a| {
                let ca = self.compile_asset(login, a);
                let verdicts = self.feature_verdicts(&compiled, &ca);
                let plan = self
                    .kinds
                    .iter()
                    .find(|k| k.kind == a.kind && ca.is_supported());
                let Some(plan) = plan else {
                    let mut drafts = Drafts::new();
                    drafts.insert(
                        (FindingCode::PlatformUnsupported, Subject::None),
                        Default::default(),
                    );
                    return AssetReport {
                        kind: a.kind,
                        id: a.id.clone(),
                        name: a.name.clone(),
                        status: Status::Unsupported,
                        features: Default::default(),
                        findings: self.findings(drafts, Some(asset_name(a)), None),
                    };
                };
                let drafts = self.asset_drafts(plan, a, &ca, &verdicts, &cx);
                let page = page_name(a, assets);
                AssetReport {
                    kind: a.kind,
                    id: a.id.clone(),
                    name: a.name.clone(),
                    status: asset_status(compiled.is_broken(), &verdicts),
                    features: verdicts.iter().collect(),
                    findings: self.findings(drafts, Some(asset_name(a)), Some(&page)),
                }
            })
            .collect();
        Report {
            report_version: REPORT_VERSION,
            checked_at: now,
            network: self.network,
            login: LoginReport {
                user_id: login.user_id.clone(),
                user_name: login.user_name.clone(),
                status: login_status,
                token: TokenReport {
                    valid: matches!(login.token.validity, TokenValidity::Valid)
                        && login.token.expires_at.is_none_or(|t| t > now),
                    expires_at: login.token.expires_at,
                    data_access_expires_at: login.token.data_access_expires_at,
                },
                permissions: permissions_report(login),
                findings: self.findings(login_drafts, None, None),
            },
            assets,
        }
    }

    fn findings(
        &self,
        drafts: Drafts,
        asset_name: Option<&str>,
        page_name: Option<&str>,
    ) -> Vec<Finding> {
        let mut out: Vec<(u8, Finding)> = drafts
            .into_iter()
            .map(|((code, subject), d)| {
                let features: Vec<_> = features_of(d.features).collect();
                let (permission, task, tasks_any) = match subject {
                    Subject::None => (None, None, Vec::new()),
                    Subject::Permission(p) => (Some(p), None, Vec::new()),
                    Subject::Task(t) => (None, Some(t), Vec::new()),
                    Subject::TaskAny(list) => (None, list.first().cloned(), list),
                };
                let task_label = task.as_ref().map(|t| {
                    let list = if tasks_any.is_empty() {
                        std::slice::from_ref(t)
                    } else {
                        &tasks_any[..]
                    };
                    list.iter()
                        .map(|t| {
                            self.catalog
                                .task(t)
                                .map_or(t.as_str(), |d| d.label.as_str())
                        })
                        .collect::<Vec<_>>()
                        .join(" or ")
                });
                // A role is named as a role in the report (LinkedIn's `role_missing`).
                let role = (code == FindingCode::RoleMissing)
                    .then(|| task.clone())
                    .flatten();
                let cx = RemedyContext {
                    permission: permission.as_deref(),
                    permission_label: permission
                        .as_deref()
                        .and_then(|p| self.catalog.permission(p))
                        .and_then(|p| p.label.as_deref()),
                    task: task.as_deref(),
                    task_label,
                    asset_name,
                    page_name,
                    until: d.until.map(|t| t.strftime(until_format(code)).to_string()),
                    features: &features,
                    // Remedies speak to the person who connected: "your access", not their name.
                    person: None,
                };
                let remedy = self.catalog.remedies.render(code, &cx);
                // Informational findings (no feature affected) sort last.
                let rank = if features.is_empty() && code != FindingCode::PlatformUnsupported {
                    0
                } else {
                    severity(code).rank()
                };
                let finding = Finding {
                    code,
                    owner: owner(code),
                    features,
                    remedy,
                    permission,
                    task: if role.is_some() { None } else { task },
                    tasks_any,
                    role,
                    until: d.until,
                    platform_error: d.platform_error,
                };
                (rank, finding)
            })
            .collect();
        // Drafts come out of a BTreeMap ordered by (code, subject); a stable sort by severity
        // keeps that order within a severity.
        out.sort_by_key(|(rank, _)| Reverse(*rank));
        out.into_iter().map(|(_, f)| f).collect()
    }
}

fn asset_name(a: &AssetFacts) -> &str {
    a.name.as_deref().unwrap_or(&a.id)
}

/// Where Page access for this asset is granted: the Page itself, or the Page an Instagram
/// account is linked to (named when that Page is among the login's assets).
fn page_name(a: &AssetFacts, assets: &[AssetFacts]) -> String {
    let Some(page_id) = a
        .instagram
        .as_ref()
        .and_then(|ig| ig.linked_page_id.as_deref())
    else {
        return asset_name(a).to_owned();
    };
    assets
        .iter()
        .find(|p| p.kind == AssetKind::FacebookPage && p.id == page_id)
        .map(|p| asset_name(p).to_owned())
        .unwrap_or_else(|| format!("the Facebook Page linked to {}", asset_name(a)))
}

fn asset_status(broken: bool, verdicts: &FeatureVerdicts) -> Status {
    if broken {
        Status::Disconnected
    } else if verdicts.any_unavailable() {
        Status::ActionRequired
    } else if verdicts.any_at_risk() {
        Status::AtRisk
    } else {
        Status::Connected
    }
}

fn permissions_report(login: &LoginFacts) -> PermissionsReport {
    let pick = |status: PermissionStatus| {
        let mut names: Vec<String> = login
            .permissions
            .iter()
            .filter(|p| p.status == status)
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    PermissionsReport {
        granted: pick(PermissionStatus::Granted),
        declined: pick(PermissionStatus::Declined),
        expired: pick(PermissionStatus::Expired),
    }
}

/// How a finding's date reads. An API version's sunset is a day the platform names, not an hour
/// (`[api_version]`): "16 March 2027", never "at 00:00 UTC", a time nobody announced.
fn until_format(code: FindingCode) -> &'static str {
    match code {
        FindingCode::ApiVersionRetiring | FindingCode::ApiVersionRetired => "%-d %B %Y",
        _ => "%-d %B %Y at %H:%M UTC",
    }
}
