//! The diagnosis engine: facts + catalog + profile + now → report. Pure: no IO, no clock, no
//! randomness; the same inputs give the same report, byte for byte.
//!
//! `Engine::new` compiles the catalog's rules for the profile's features into bitmasks once.
//! `compile_login` / `compile_asset` intern facts once; `feature_verdicts` is the allocation-free
//! hot path (pre-flight checks, re-evaluating millions of assets after a catalog change), and
//! `diagnose` explains those same verdicts as findings.

mod compiled;
mod findings;
mod report;

pub use compiled::{CompiledAsset, CompiledLogin, FeatureVerdicts};

use crate::catalog::Catalog;
use crate::profile::Profile;
use crate::vocab::{AssetKind, Feature, Network};
use compiled::{CompiledRule, feature_bit};
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// How long before an expiry features turn `at_risk`. A profile's `warning_days` overrides it.
    pub warning_window: SignedDuration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            warning_window: SignedDuration::from_hours(
                24 * i64::from(crate::profile::DEFAULT_WARNING_DAYS),
            ),
        }
    }
}

/// The compiled rules of one supported asset kind, restricted to the profile's features.
#[derive(Debug, Clone)]
pub(crate) struct KindPlan {
    pub kind: AssetKind,
    pub applicable: u16,
    pub rules: Vec<CompiledRule>,
}

#[derive(Debug, Clone)]
pub struct Engine {
    network: Network,
    catalog: Catalog,
    features: Vec<Feature>,
    profile_mask: u16,
    warning_window: SignedDuration,
    permission_bits: HashMap<String, u8>,
    task_bits: HashMap<String, u8>,
    retired: u128,
    pub(crate) kinds: Vec<KindPlan>,
}

impl Engine {
    /// `network` is what the report says it is about; the catalog supplies the rules.
    pub fn new(
        catalog: &Catalog,
        network: Network,
        profile: &Profile,
        options: EngineOptions,
    ) -> Engine {
        let features = profile.features(catalog);
        let profile_mask = features.iter().fold(0, |m, f| m | feature_bit(*f));
        // Catalog loading guarantees at most 128 permissions and 64 tasks, so indices fit.
        let permission_bits: HashMap<String, u8> = catalog
            .permissions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i as u8))
            .collect();
        let task_bits: HashMap<String, u8> = catalog
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i as u8))
            .collect();
        let retired = catalog
            .permissions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.retired())
            .fold(0u128, |m, (i, _)| m | 1 << i);
        let perm_mask = |names: &[String]| {
            names
                .iter()
                .fold(0u128, |m, n| m | 1u128 << permission_bits[n.as_str()])
        };
        let task_mask = |names: &[String]| {
            names
                .iter()
                .fold(0u64, |m, n| m | 1u64 << task_bits[n.as_str()])
        };
        let kinds = catalog
            .asset_kinds
            .iter()
            .filter(|k| k.unsupported.is_none())
            .map(|k| {
                let rules: Vec<CompiledRule> = catalog
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.asset_kind == k.kind && features.contains(&r.feature))
                    .map(|(rule_index, r)| CompiledRule {
                        feature: r.feature,
                        bit: feature_bit(r.feature),
                        perm_all: perm_mask(&r.permissions),
                        perm_any: perm_mask(&r.permissions_any),
                        task_all: task_mask(&r.tasks),
                        task_any: task_mask(&r.tasks_any),
                        conditions: r.conditions.iter().fold(0, |m, c| m | c.bit()),
                        rule_index,
                    })
                    .collect();
                KindPlan {
                    kind: k.kind,
                    applicable: rules.iter().fold(0, |m, r| m | r.bit),
                    rules,
                }
            })
            .collect();
        Engine {
            network,
            catalog: catalog.clone(),
            features,
            profile_mask,
            warning_window: profile.warning_window().unwrap_or(options.warning_window),
            permission_bits,
            task_bits,
            retired,
            kinds,
        }
    }

    /// The profile's features this engine evaluates, in vocabulary order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    pub fn warning_window(&self) -> SignedDuration {
        self.warning_window
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The sunset of the API version the network's client sends, once it is within its notice.
    pub fn version_ending(&self, now: Timestamp) -> Option<Timestamp> {
        self.catalog.api_version.as_ref()?.ending(now)
    }

    #[inline]
    pub(crate) fn permission_bit(&self, name: &str) -> Option<u128> {
        self.permission_bits.get(name).map(|i| 1u128 << i)
    }

    #[inline]
    pub(crate) fn task_bit(&self, name: &str) -> Option<u64> {
        self.task_bits.get(name).map(|i| 1u64 << i)
    }

    pub(crate) fn permission_name(&self, bit_index: u32) -> &str {
        &self.catalog.permissions[bit_index as usize].name
    }

    pub(crate) fn task_name(&self, bit_index: u32) -> &str {
        &self.catalog.tasks[bit_index as usize].name
    }
}

/// Indices of the set bits of a mask, lowest first.
pub(crate) fn bits(mut mask: u128) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros();
            mask &= mask - 1;
            i
        })
    })
}
