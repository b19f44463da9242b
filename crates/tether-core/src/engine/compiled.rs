//! The hot path: facts interned into bitsets once, then every (asset, feature) verdict is a few
//! AND/NOT operations with no allocation. `diagnose` is built on these same masks, so the report
//! and the pre-flight answer can never disagree.

use super::Engine;
use crate::catalog::Condition;
use crate::facts::{AssetFacts, LoginFacts, ObservedProblem, PermissionStatus, TokenValidity};
use crate::vocab::{Feature, FeatureVerdict};
use jiff::Timestamp;

pub(crate) fn feature_bit(f: Feature) -> u16 {
    1 << (f as u16)
}

pub(crate) fn features_of(mask: u16) -> impl Iterator<Item = Feature> {
    Feature::ALL
        .iter()
        .copied()
        .filter(move |f| mask & feature_bit(*f) != 0)
}

pub(crate) fn observed_mask(problems: &[ObservedProblem]) -> u16 {
    problems.iter().fold(0, |acc, p| {
        if p.features.is_empty() {
            u16::MAX
        } else {
            p.features.iter().fold(acc, |a, f| a | feature_bit(*f))
        }
    })
}

/// One catalog rule, interned. Any-of masks are 0 when the rule has no such requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompiledRule {
    pub feature: Feature,
    pub bit: u16,
    pub perm_all: u128,
    pub perm_any: u128,
    pub task_all: u64,
    pub task_any: u64,
    pub conditions: u8,
    /// Index into `Catalog::rules`, for the words a finding names.
    pub rule_index: usize,
}

/// What one rule lacks on one asset; all zero/false means the rule is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gaps {
    pub perm_all: u128,
    pub perm_any: bool,
    pub task_all: u64,
    pub task_any: bool,
    pub conditions: u8,
}

impl CompiledRule {
    #[inline]
    fn met(&self, effective: u128, tasks: u64, failed_conditions: u8) -> bool {
        (self.perm_all & !effective) == 0
            && (self.perm_any == 0 || self.perm_any & effective != 0)
            && (self.task_all & !tasks) == 0
            && (self.task_any == 0 || self.task_any & tasks != 0)
            && (self.conditions & failed_conditions) == 0
    }

    pub(crate) fn gaps(&self, effective: u128, tasks: u64, failed_conditions: u8) -> Gaps {
        Gaps {
            perm_all: self.perm_all & !effective,
            perm_any: self.perm_any != 0 && self.perm_any & effective == 0,
            task_all: self.task_all & !tasks,
            task_any: self.task_any != 0 && self.task_any & tasks == 0,
            conditions: self.conditions & failed_conditions,
        }
    }
}

/// A login's facts as bitsets over the catalog's permission vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompiledLogin {
    pub(crate) granted: u128,
    pub(crate) declined: u128,
    pub(crate) expired: u128,
    /// Nothing works: broken token, token past its expiry, or data access lapsed.
    pub(crate) broken: bool,
    /// Something ends soon: a token expiry within the warning window, or the end of the API
    /// version every call sends within its notice. Whatever still works is at risk.
    pub(crate) dated: bool,
    pub(crate) observed: u16,
}

impl CompiledLogin {
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    pub fn is_dated(&self) -> bool {
        self.dated
    }
}

/// Sentinel kind index: the asset kind is unsupported or unknown to the catalog.
const UNSUPPORTED: u8 = u8::MAX;

/// An asset's facts as bitsets, relative to the login it is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompiledAsset {
    pub(crate) kind: u8,
    pub(crate) tasks: u64,
    /// Permissions the login holds that its per-asset grant (`target_ids`) does not extend here.
    pub(crate) excluded: u128,
    pub(crate) failed_conditions: u8,
    pub(crate) listed: bool,
    pub(crate) observed: u16,
}

impl CompiledAsset {
    pub fn is_supported(&self) -> bool {
        self.kind != UNSUPPORTED
    }
}

/// The verdict of every profile feature that applies to one asset. Fixed-size and `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeatureVerdicts {
    applicable: u16,
    unavailable: u16,
    at_risk: u16,
}

impl FeatureVerdicts {
    /// `None` when the feature is not in the profile or does not apply to the asset kind.
    #[inline]
    pub fn get(&self, feature: Feature) -> Option<FeatureVerdict> {
        let bit = feature_bit(feature);
        if self.applicable & bit == 0 {
            None
        } else if self.unavailable & bit != 0 {
            Some(FeatureVerdict::Unavailable)
        } else if self.at_risk & bit != 0 {
            Some(FeatureVerdict::AtRisk)
        } else {
            Some(FeatureVerdict::Available)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Feature, FeatureVerdict)> + '_ {
        features_of(self.applicable).filter_map(|f| self.get(f).map(|v| (f, v)))
    }

    pub fn is_empty(&self) -> bool {
        self.applicable == 0
    }

    pub fn count_unavailable(&self) -> u32 {
        self.unavailable.count_ones()
    }

    pub fn any_unavailable(&self) -> bool {
        self.unavailable != 0
    }

    pub fn any_at_risk(&self) -> bool {
        self.at_risk != 0
    }

    pub(crate) fn at_risk_mask(&self) -> u16 {
        self.at_risk
    }
}

impl Engine {
    /// Interns one login's facts. Call once per login; reuse for all its assets.
    pub fn compile_login(&self, login: &LoginFacts, now: Timestamp) -> CompiledLogin {
        let (mut granted, mut declined, mut expired) = (0u128, 0u128, 0u128);
        for grant in &login.permissions {
            if let Some(bit) = self.permission_bit(&grant.name) {
                match grant.status {
                    PermissionStatus::Granted => granted |= bit,
                    PermissionStatus::Declined => declined |= bit,
                    PermissionStatus::Expired => expired |= bit,
                }
            }
        }
        // A permission listed twice reads as its best status, whatever the order of the list.
        declined &= !granted;
        expired &= !(granted | declined);
        let token = &login.token;
        let past = |t: Option<Timestamp>| t.is_some_and(|t| t <= now);
        let soon = |t: Option<Timestamp>| {
            t.is_some_and(|t| t > now && t.duration_since(now) <= self.warning_window)
        };
        let broken = matches!(token.validity, TokenValidity::Broken { .. })
            || past(token.expires_at)
            || past(token.data_access_expires_at);
        let dated = !broken
            && (soon(token.expires_at)
                || soon(token.data_access_expires_at)
                || self.version_ending(now).is_some());
        CompiledLogin {
            granted,
            declined,
            expired,
            broken,
            dated,
            observed: observed_mask(&login.observed),
        }
    }

    /// Interns one asset's facts as reached through `login`.
    pub fn compile_asset(&self, login: &LoginFacts, asset: &AssetFacts) -> CompiledAsset {
        let kind = self
            .kinds
            .iter()
            .position(|k| k.kind == asset.kind)
            .map_or(UNSUPPORTED, |i| i as u8);
        let tasks = asset
            .tasks
            .iter()
            .filter_map(|t| self.task_bit(t))
            .fold(0u64, |acc, b| acc | b);
        let (mut restricted, mut allowed, mut unrestricted) = (0u128, 0u128, 0u128);
        for scope in &login.granular_scopes {
            let Some(bit) = self.permission_bit(&scope.scope) else {
                continue;
            };
            match &scope.target_ids {
                None => unrestricted |= bit,
                Some(targets) => {
                    restricted |= bit;
                    if asset.grant_ids().any(|id| targets.iter().any(|t| t == id)) {
                        allowed |= bit;
                    }
                }
            }
        }
        // An Instagram account with no Instagram facts was not reached through any Page: it counts
        // as not linked, since that is the only way Facebook Login reaches Instagram.
        let ig = asset.instagram.as_ref();
        let mut failed_conditions = 0u8;
        if ig.is_none_or(|i| i.linked_page_id.is_none()) {
            failed_conditions |= Condition::InstagramLinked.bit();
        }
        if ig.and_then(|i| i.professional) == Some(false) {
            failed_conditions |= Condition::InstagramProfessional.bit();
        }
        if ig.and_then(|i| i.product_tag_eligible) == Some(false) {
            failed_conditions |= Condition::InstagramProductTagEligible.bit();
        }
        CompiledAsset {
            kind,
            tasks,
            excluded: restricted & !allowed & !unrestricted,
            failed_conditions,
            listed: asset.listed,
            observed: observed_mask(&asset.observed),
        }
    }

    /// The verdict of every profile feature on one asset: pure bit arithmetic, no allocation.
    #[inline]
    pub fn feature_verdicts(
        &self,
        login: &CompiledLogin,
        asset: &CompiledAsset,
    ) -> FeatureVerdicts {
        let Some(plan) = self.kinds.get(asset.kind as usize) else {
            return FeatureVerdicts::default();
        };
        let applicable = plan.applicable;
        if login.broken || !asset.listed {
            return FeatureVerdicts {
                applicable,
                unavailable: applicable,
                at_risk: 0,
            };
        }
        let effective = login.granted & !asset.excluded;
        let mut unavailable = (login.observed | asset.observed) & applicable;
        for rule in &plan.rules {
            if !rule.met(effective, asset.tasks, asset.failed_conditions) {
                unavailable |= rule.bit;
            }
        }
        let at_risk = if login.dated {
            applicable & !unavailable
        } else {
            0
        };
        FeatureVerdicts {
            applicable,
            unavailable,
            at_risk,
        }
    }
}
