//! Why a verdict is what it is: the same masks `feature_verdicts` reads, turned into findings.
//! Findings are collected per (code, subject) so one missing permission that blocks three
//! features is one finding naming the three.

use super::compiled::{CompiledAsset, CompiledLogin, CompiledRule, FeatureVerdicts, observed_mask};
use super::{Engine, KindPlan, bits};
use crate::catalog::Condition;
use crate::facts::{
    AssetFacts, BrokenReason, LoginFacts, ObservedKind, ObservedProblem, PlatformError,
    TokenValidity,
};
use crate::vocab::{FindingCode, Owner, Status};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// What a finding is about, the second half of its identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Subject {
    None,
    Permission(String),
    Task(String),
    /// An any-of task requirement: the tasks that would satisfy it, preferred first.
    TaskAny(Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub features: u16,
    pub until: Option<Timestamp>,
    pub platform_error: Option<PlatformError>,
}

pub(crate) type Drafts = BTreeMap<(FindingCode, Subject), Draft>;

/// What every asset of one login shares: its facts, its masks and its own findings.
#[derive(Clone, Copy)]
pub(crate) struct LoginContext<'a> {
    pub facts: &'a LoginFacts,
    pub compiled: &'a CompiledLogin,
    pub drafts: &'a Drafts,
}

fn add(drafts: &mut Drafts, code: FindingCode, subject: Subject, features: u16) -> &mut Draft {
    let d = drafts.entry((code, subject)).or_default();
    d.features |= features;
    d
}

fn add_dated(drafts: &mut Drafts, code: FindingCode, features: u16, until: Option<Timestamp>) {
    add(drafts, code, Subject::None, features).keep_earliest(until);
}

impl Draft {
    /// Keeps the earliest date, whatever order the facts came in.
    fn keep_earliest(&mut self, until: Option<Timestamp>) {
        self.until = match (self.until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

fn add_observed(drafts: &mut Drafts, p: &ObservedProblem, features: u16) {
    let (code, subject, until) = match &p.kind {
        ObservedKind::AppFeatureMissing => (FindingCode::AppFeatureMissing, Subject::None, None),
        ObservedKind::ApiVersionRetired { sunset } => {
            (FindingCode::ApiVersionRetired, Subject::None, *sunset)
        }
        ObservedKind::AccountRestricted => (FindingCode::AccountRestricted, Subject::None, None),
        ObservedKind::AssetAccessLost => (FindingCode::AssetAccessLost, Subject::None, None),
        ObservedKind::PermissionMissing { permission } => (
            FindingCode::PermissionMissing,
            Subject::Permission(permission.clone()),
            None,
        ),
    };
    let d = add(drafts, code, subject, features);
    d.keep_earliest(until);
    if d.platform_error.is_none() {
        d.platform_error.clone_from(&p.platform_error);
    }
}

pub(crate) fn broken_code(reason: BrokenReason) -> FindingCode {
    match reason {
        BrokenReason::Expired => FindingCode::TokenExpired,
        BrokenReason::PasswordChanged
        | BrokenReason::SessionInvalidated
        | BrokenReason::LoggedOut
        | BrokenReason::Inactive
        | BrokenReason::Unreadable
        | BrokenReason::Unknown => FindingCode::TokenInvalidated,
        BrokenReason::AppRemoved => FindingCode::AppRemoved,
        BrokenReason::DataAccessExpired => FindingCode::DataAccessExpired,
        BrokenReason::Checkpoint | BrokenReason::UnconfirmedUser => FindingCode::CheckpointRequired,
    }
}

/// Who must act (docs/PRODUCT.md finding table).
pub(crate) fn owner(code: FindingCode) -> Owner {
    use FindingCode::*;
    match code {
        TokenExpired
        | TokenInvalidated
        | AppRemoved
        | CheckpointRequired
        | DataAccessExpired
        | TokenExpiring
        | DataAccessExpiring
        | PermissionDeclined
        | PermissionMissing
        | PermissionExpired
        | PermissionNotGrantedForAsset
        | ReconnectForNewScope
        | DisconnectedInTether => Owner::ConnectingUser,
        TaskMissing | RoleMissing | AssetAccessLost | InstagramNotLinked | AccountRestricted => {
            Owner::AssetAdmin
        }
        InstagramNotProfessional | InstagramShoppingIneligible => Owner::AccountOwner,
        AppFeatureMissing | ScopeRetired | ApiVersionRetiring | ApiVersionRetired => {
            Owner::AppOwner
        }
        PlatformUnsupported => Owner::Platform,
    }
}

/// The status a finding implies when it blocks (or endangers) at least one feature.
pub(crate) fn severity(code: FindingCode) -> Status {
    use FindingCode::*;
    match code {
        TokenExpired | TokenInvalidated | AppRemoved | CheckpointRequired | DataAccessExpired
        | DisconnectedInTether => Status::Disconnected,
        TokenExpiring | DataAccessExpiring | ApiVersionRetiring => Status::AtRisk,
        PlatformUnsupported => Status::Unsupported,
        _ => Status::ActionRequired,
    }
}

impl Engine {
    /// The code for a permission that is not usable. `excluded`: the login holds it, but its
    /// per-asset grant leaves this asset out.
    fn permission_code(&self, login: &CompiledLogin, excluded: u128, bit: u128) -> FindingCode {
        if login.granted & bit != 0 && excluded & bit != 0 {
            FindingCode::PermissionNotGrantedForAsset
        } else if login.declined & bit != 0 {
            FindingCode::PermissionDeclined
        } else if login.expired & bit != 0 {
            FindingCode::PermissionExpired
        } else if login.granted & self.retired != 0 {
            // The login was granted under names the platform has since retired (Pinterest's
            // pre-v5 scopes, Instagram's `business_*`): what is missing is the new name, and
            // only connecting again asks for it (docs/PRODUCT.md, catalog changes).
            FindingCode::ReconnectForNewScope
        } else {
            FindingCode::PermissionMissing
        }
    }

    /// Which member of an unmet any-of permission group a finding names: the one closest to
    /// working (held but not for this asset, then declined, then expired), else the preferred
    /// (first) one. Naming what the person actually saw and switched off is what they can act on.
    fn any_permission(
        &self,
        rule: &CompiledRule,
        login: &CompiledLogin,
        excluded: u128,
    ) -> (FindingCode, String) {
        let names = &self.catalog.rules[rule.rule_index].permissions_any;
        let rank = |code: FindingCode| match code {
            FindingCode::PermissionNotGrantedForAsset => 0,
            FindingCode::PermissionDeclined => 1,
            FindingCode::PermissionExpired => 2,
            _ => 3,
        };
        names
            .iter()
            .filter_map(|n| {
                self.permission_bit(n)
                    .map(|b| (n, self.permission_code(login, excluded, b)))
            })
            .min_by_key(|(_, code)| rank(*code))
            .map(|(n, code)| (code, n.clone()))
            .unwrap_or((FindingCode::PermissionMissing, names[0].clone()))
    }

    fn permission_gaps(
        &self,
        drafts: &mut Drafts,
        rule: &CompiledRule,
        login: &CompiledLogin,
        missing: u128,
        any_unmet: bool,
        excluded: u128,
    ) {
        for i in bits(missing) {
            let code = self.permission_code(login, excluded, 1u128 << i);
            add(
                drafts,
                code,
                Subject::Permission(self.permission_name(i).to_owned()),
                rule.bit,
            );
        }
        if any_unmet {
            let (code, name) = self.any_permission(rule, login, excluded);
            add(drafts, code, Subject::Permission(name), rule.bit);
        }
    }

    pub(crate) fn login_drafts(
        &self,
        facts: &LoginFacts,
        login: &CompiledLogin,
        now: Timestamp,
    ) -> Drafts {
        let mut drafts = Drafts::new();
        let token = &facts.token;
        let all = self.profile_mask;
        if login.broken {
            match &token.validity {
                TokenValidity::Broken {
                    reason,
                    platform_error,
                } => {
                    let d = add(&mut drafts, broken_code(*reason), Subject::None, all);
                    d.platform_error.clone_from(platform_error);
                    // An expiry the platform reports still has its date: say when it happened.
                    match reason {
                        BrokenReason::Expired => d.until = token.expires_at,
                        BrokenReason::DataAccessExpired => d.until = token.data_access_expires_at,
                        _ => {}
                    }
                }
                TokenValidity::Valid => {
                    // debug_token still calls the token valid, but its dates have passed. With data
                    // access expired, user-token calls fail until the person logs in again, so it is
                    // as broken as an expired token (the safe reading).
                    if let Some(t) = token.expires_at.filter(|t| *t <= now) {
                        add_dated(&mut drafts, FindingCode::TokenExpired, all, Some(t));
                    }
                    if let Some(t) = token.data_access_expires_at.filter(|t| *t <= now) {
                        add_dated(&mut drafts, FindingCode::DataAccessExpired, all, Some(t));
                    }
                }
            }
            return drafts;
        }
        if login.dated {
            let soon = |t: &Timestamp| *t > now && t.duration_since(now) <= self.warning_window;
            if let Some(t) = token.expires_at.filter(soon) {
                add_dated(&mut drafts, FindingCode::TokenExpiring, all, Some(t));
            }
            if let Some(t) = token.data_access_expires_at.filter(soon) {
                add_dated(&mut drafts, FindingCode::DataAccessExpiring, all, Some(t));
            }
        }
        // The version's end is near (or past while the platform still serves it): every call of
        // the login sends it. Once the platform refuses it, the refusal below says so instead.
        let refused = facts
            .observed
            .iter()
            .any(|p| matches!(p.kind, ObservedKind::ApiVersionRetired { .. }));
        if let Some(sunset) = self.version_ending(now).filter(|_| !refused) {
            add_dated(
                &mut drafts,
                FindingCode::ApiVersionRetiring,
                all,
                Some(sunset),
            );
        }
        for plan in &self.kinds {
            for rule in &plan.rules {
                let missing = rule.perm_all & !login.granted;
                let any_unmet = rule.perm_any != 0 && rule.perm_any & login.granted == 0;
                self.permission_gaps(&mut drafts, rule, login, missing, any_unmet, 0);
            }
        }
        for p in &facts.observed {
            let features = observed_mask(std::slice::from_ref(p)) & all;
            if features != 0 {
                add_observed(&mut drafts, p, features);
            }
        }
        for i in bits(login.granted & self.retired) {
            add(
                &mut drafts,
                FindingCode::ScopeRetired,
                Subject::Permission(self.permission_name(i).to_owned()),
                0,
            );
        }
        drafts
    }

    pub(crate) fn asset_drafts(
        &self,
        plan: &KindPlan,
        facts: &AssetFacts,
        asset: &CompiledAsset,
        verdicts: &FeatureVerdicts,
        login: &LoginContext<'_>,
    ) -> Drafts {
        let LoginContext {
            facts: login_facts,
            compiled: login,
            drafts: login_drafts,
        } = *login;
        let mut drafts = Drafts::new();
        let applicable = plan.applicable;
        if login.broken {
            // Each asset report stands alone: repeat why the login is broken.
            for ((code, subject), d) in login_drafts {
                if severity(*code) == Status::Disconnected {
                    let copy = add(&mut drafts, *code, subject.clone(), applicable);
                    copy.until = d.until;
                    copy.platform_error.clone_from(&d.platform_error);
                }
            }
            return drafts;
        }
        if !asset.listed {
            // Not listed, and the login's per-asset grants leave it out: the person did not tick
            // it in the "choose the Pages" step, which only they can undo by reconnecting. Telling
            // a Page admin their access was lost would send people the wrong way. One finding
            // names the first such permission and carries every feature, since nothing works on
            // an asset the login does not reach.
            let needed = plan
                .rules
                .iter()
                .fold(0u128, |m, r| m | r.perm_all | r.perm_any);
            match bits(asset.excluded & needed).next() {
                Some(i) => add(
                    &mut drafts,
                    FindingCode::PermissionNotGrantedForAsset,
                    Subject::Permission(self.permission_name(i).to_owned()),
                    applicable,
                ),
                None => add(
                    &mut drafts,
                    FindingCode::AssetAccessLost,
                    Subject::None,
                    applicable,
                ),
            };
        } else {
            let effective = login.granted & !asset.excluded;
            // An account whose access comes from a linked Page (the catalog says which) but that
            // is linked to none has no Page whose tasks could apply to it: asking a Page admin
            // for tasks would send people the wrong way; the link is the fix.
            let through_page = self
                .catalog
                .asset_kind(facts.kind)
                .is_some_and(|k| k.tasks_from_linked_page);
            let tasks_known =
                !through_page || asset.failed_conditions & Condition::InstagramLinked.bit() == 0;
            let access = self.catalog.access_finding;
            for rule in &plan.rules {
                let g = rule.gaps(effective, asset.tasks, asset.failed_conditions);
                self.permission_gaps(
                    &mut drafts,
                    rule,
                    login,
                    g.perm_all,
                    g.perm_any,
                    asset.excluded,
                );
                for i in bits(u128::from(g.task_all)).filter(|_| tasks_known) {
                    add(
                        &mut drafts,
                        access,
                        Subject::Task(self.task_name(i).to_owned()),
                        rule.bit,
                    );
                }
                if g.task_any && tasks_known {
                    let list = self.catalog.rules[rule.rule_index].tasks_any.clone();
                    add(&mut drafts, access, Subject::TaskAny(list), rule.bit);
                }
                for c in Condition::ALL {
                    if g.conditions & c.bit() != 0 {
                        add(&mut drafts, c.finding(), Subject::None, rule.bit);
                    }
                }
            }
        }
        for p in login_facts.observed.iter().chain(&facts.observed) {
            let features = observed_mask(std::slice::from_ref(p)) & applicable;
            if features != 0 {
                add_observed(&mut drafts, p, features);
            }
        }
        let at_risk = verdicts.at_risk_mask();
        if at_risk != 0 {
            for ((code, _), d) in login_drafts {
                if severity(*code) == Status::AtRisk {
                    add_dated(&mut drafts, *code, at_risk, d.until);
                }
            }
        }
        drafts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Action, FixScope};

    #[test]
    fn a_fix_is_made_by_the_owner_of_its_findings() {
        for code in FindingCode::ALL {
            let action = code.action();
            let expected = match action.scope() {
                FixScope::Login => vec![Owner::ConnectingUser],
                FixScope::Page => vec![Owner::AssetAdmin],
                FixScope::Account => {
                    vec![Owner::AssetAdmin, Owner::AccountOwner, Owner::Platform]
                }
                FixScope::App => vec![Owner::AppOwner],
            };
            assert!(
                expected.contains(&owner(*code)),
                "{code} is {:?}'s, yet its fix {action} is scoped {:?}",
                owner(*code),
                action.scope()
            );
        }
        assert_eq!(
            FindingCode::PermissionNotGrantedForAsset.action(),
            Action::TickAccount
        );
        assert_eq!(FindingCode::DataAccessExpired.action(), Action::LogIn);
    }
}
