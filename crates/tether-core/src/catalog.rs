//! The catalog: per network and asset kind, what each feature needs (permissions, Page tasks,
//! asset conditions), each rule with its source. It is data (`catalog/*.toml`), validated here at
//! load so the engine can trust every word in it.

mod api_version;
mod error;
#[cfg(test)]
mod tests;

pub use api_version::ApiVersion;
pub use error::CatalogError;

use crate::remedies::Remedies;
use crate::vocab::{AssetKind, Feature, FindingCode, Network};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One network's data under `catalog/<network>/`, compiled in by build.rs.
pub(crate) struct Builtin {
    pub(crate) network: &'static str,
    pub(crate) catalog: &'static str,
    pub(crate) remedies: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin_catalogs.rs"));

pub(crate) fn builtin_data(network: Network) -> Result<&'static Builtin, CatalogError> {
    BUILTIN
        .iter()
        .find(|b| b.network == network.as_str())
        .ok_or_else(|| CatalogError::NoBuiltin {
            network: network.to_string(),
            known: BUILTIN
                .iter()
                .map(|b| b.network)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The engine interns permissions into a `u128` and tasks into a `u64`.
pub const MAX_PERMISSIONS: usize = 128;
pub const MAX_TASKS: usize = 64;

/// An asset fact a feature depends on. `None` in the facts means "not checked" and satisfies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    InstagramLinked,
    InstagramProfessional,
    InstagramProductTagEligible,
}

impl Condition {
    pub const ALL: &'static [Condition] = &[
        Condition::InstagramLinked,
        Condition::InstagramProfessional,
        Condition::InstagramProductTagEligible,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::InstagramLinked => "instagram_linked",
            Condition::InstagramProfessional => "instagram_professional",
            Condition::InstagramProductTagEligible => "instagram_product_tag_eligible",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The finding an account that fails this condition gets.
    pub fn finding(self) -> FindingCode {
        match self {
            Condition::InstagramLinked => FindingCode::InstagramNotLinked,
            Condition::InstagramProfessional => FindingCode::InstagramNotProfessional,
            Condition::InstagramProductTagEligible => FindingCode::InstagramShoppingIneligible,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Condition {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Condition::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionDef {
    pub name: String,
    /// How the consent screen shows it, in words a manager recognises.
    pub label: Option<String>,
    /// Where the retirement is documented; `Some` means the platform no longer offers it.
    pub retired_source: Option<String>,
}

impl PermissionDef {
    pub fn retired(&self) -> bool {
        self.retired_source.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDef {
    pub name: String,
    /// The access name a Page admin sees in Page settings (e.g. "Content").
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub since: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetKindDef {
    pub kind: AssetKind,
    pub label: String,
    pub tasks_from_linked_page: bool,
    pub unsupported: Option<Unsupported>,
}

/// What one feature needs on one asset kind. Words are validated against the catalog vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub feature: Feature,
    pub asset_kind: AssetKind,
    pub permissions: Vec<String>,
    /// At least one of these, preferred first. Empty: no such requirement.
    pub permissions_any: Vec<String>,
    pub tasks: Vec<String>,
    /// At least one of these, preferred first. Empty: no such requirement.
    pub tasks_any: Vec<String>,
    pub conditions: Vec<Condition>,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub network: Network,
    /// Which catalog of the network this is: a changed catalog raises it. A change recorded by
    /// `tether catalog apply` is judged by until a build whose own catalog has a revision at
    /// least as high runs (that build carries the change, or a later one).
    pub revision: u32,
    /// The network's name as people say it ("Facebook", "Instagram").
    pub label: String,
    /// The words of the button that connects a login ("Connect a Facebook account").
    pub connect: String,
    /// What a missing `[[task]]` entry is on this network, and so the finding it yields: a Page
    /// task (`task_missing`, Meta) or an organization role (`role_missing`, LinkedIn).
    pub access_finding: FindingCode,
    pub origin: String,
    pub permissions: Vec<PermissionDef>,
    pub tasks: Vec<TaskDef>,
    pub asset_kinds: Vec<AssetKindDef>,
    pub rules: Vec<Rule>,
    pub remedies: Remedies,
    /// What a changed catalog changes, in the words people read (`[change]`): a file given to
    /// `tether catalog apply` says why accounts move. The built-in catalogs have none.
    pub change: Option<ChangeNote>,
    /// The API version the network's client sends and when the platform retires it
    /// (`[api_version]`); `None` where versions are not retired on a calendar we know.
    pub api_version: Option<ApiVersion>,
}

/// Why a catalog changed: what people read when their accounts move because of it, and where
/// the platform said so.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeNote {
    pub summary: String,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    network: String,
    #[serde(default = "first_revision")]
    revision: u32,
    label: Option<String>,
    connect: Option<String>,
    #[serde(default)]
    access: Option<RawAccess>,
    #[serde(default)]
    permission: Vec<RawPermission>,
    #[serde(default)]
    task: Vec<RawTask>,
    #[serde(default)]
    asset_kind: Vec<RawAssetKind>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    change: Option<ChangeNote>,
    #[serde(default)]
    api_version: Option<api_version::RawApiVersion>,
}

fn first_revision() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    /// `task_missing` or `role_missing`.
    finding: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermission {
    name: String,
    label: Option<String>,
    #[serde(default)]
    retired: bool,
    retired_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    name: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssetKind {
    kind: String,
    label: String,
    #[serde(default)]
    tasks_from_linked_page: bool,
    #[serde(default)]
    unsupported: bool,
    unsupported_since: Option<String>,
    unsupported_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    feature: String,
    asset_kind: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    permissions_any: Vec<String>,
    #[serde(default)]
    tasks: Vec<String>,
    #[serde(default)]
    tasks_any: Vec<String>,
    #[serde(default)]
    conditions: Vec<String>,
    source: Option<String>,
    note: Option<String>,
}

impl Catalog {
    /// The catalog shipped with Tether for `network` (`catalog/<network>/catalog.toml`, with the
    /// words of `catalog/<network>/remedies.toml`).
    pub fn builtin(network: Network) -> Result<Catalog, CatalogError> {
        let data = builtin_data(network)?;
        Catalog::from_toml_str(
            data.catalog,
            &format!("catalog/{}/catalog.toml", data.network),
        )
    }

    /// Every network with built-in data, in name order.
    pub fn builtin_networks() -> Vec<Network> {
        BUILTIN
            .iter()
            .filter_map(|b| b.network.parse().ok())
            .collect()
    }

    /// A catalog from a file. `origin` names the file in errors. Remedy texts are the built-in
    /// ones of the catalog's network: they are the words people read, written per network.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| CatalogError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let cx = Loader { origin };
        let network = raw
            .network
            .parse::<Network>()
            .map_err(|_| CatalogError::UnknownNetwork {
                origin: origin.to_owned(),
                word: raw.network.clone(),
            })?;
        let permissions = cx.permissions(raw.permission)?;
        let tasks = cx.tasks(raw.task)?;
        let asset_kinds = cx.asset_kinds(raw.asset_kind)?;
        let label = raw.label.unwrap_or_else(|| network.to_string());
        let access_finding = match raw.access.as_ref().map(|a| a.finding.as_str()) {
            None | Some("task_missing") => FindingCode::TaskMissing,
            Some("role_missing") => FindingCode::RoleMissing,
            Some(other) => {
                return Err(CatalogError::Parse {
                    origin: origin.to_owned(),
                    message: format!(
                        "[access] finding `{other}`: expected task_missing or role_missing"
                    ),
                });
            }
        };
        if raw.revision == 0 {
            return Err(CatalogError::Parse {
                origin: origin.to_owned(),
                message: "revision 0: revisions start at 1".into(),
            });
        }
        let mut catalog = Catalog {
            network,
            revision: raw.revision,
            access_finding,
            connect: raw
                .connect
                .unwrap_or_else(|| format!("Connect a {label} account")),
            label,
            origin: origin.to_owned(),
            permissions,
            tasks,
            asset_kinds,
            rules: Vec::new(),
            remedies: Remedies::builtin(network)?,
            change: raw.change,
            api_version: raw.api_version.map(|v| v.load(origin)).transpose()?,
        };
        if let Some(c) = &catalog.change
            && (c.summary.trim().is_empty() || c.source.trim().is_empty())
        {
            return Err(CatalogError::Parse {
                origin: origin.to_owned(),
                message: "[change] needs a summary people read and the source that says so".into(),
            });
        }
        for (i, r) in raw.rule.into_iter().enumerate() {
            let rule = cx.rule(&catalog, i, r)?;
            catalog.rules.push(rule);
        }
        Ok(catalog)
    }

    pub fn permission(&self, name: &str) -> Option<&PermissionDef> {
        self.permissions.iter().find(|p| p.name == name)
    }

    pub fn task(&self, name: &str) -> Option<&TaskDef> {
        self.tasks.iter().find(|t| t.name == name)
    }

    pub fn asset_kind(&self, kind: AssetKind) -> Option<&AssetKindDef> {
        self.asset_kinds.iter().find(|k| k.kind == kind)
    }

    pub fn rule(&self, feature: Feature, kind: AssetKind) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.feature == feature && r.asset_kind == kind)
    }

    /// Whether `other` judges every account as this one does: the same vocabulary, rules,
    /// access finding and API version (the words people read may differ).
    pub fn judges_like(&self, other: &Catalog) -> bool {
        self.network == other.network
            && self.access_finding == other.access_finding
            && self.permissions == other.permissions
            && self.tasks == other.tasks
            && self.asset_kinds == other.asset_kinds
            && self.rules == other.rules
            && self.api_version == other.api_version
    }

    /// Every feature at least one rule serves, in vocabulary order.
    pub fn features(&self) -> Vec<Feature> {
        let set: BTreeSet<Feature> = self.rules.iter().map(|r| r.feature).collect();
        set.into_iter().collect()
    }

    /// Whether any rule for one of `features` depends on `condition`.
    pub fn needs_condition(&self, features: &[Feature], condition: Condition) -> bool {
        self.rules
            .iter()
            .any(|r| features.contains(&r.feature) && r.conditions.contains(&condition))
    }
}

struct Loader<'a> {
    origin: &'a str,
}

impl Loader<'_> {
    fn origin(&self) -> String {
        self.origin.to_owned()
    }

    fn duplicate(&self, what: &'static str, word: &str) -> CatalogError {
        CatalogError::DuplicateWord {
            origin: self.origin(),
            what,
            word: word.to_owned(),
        }
    }

    fn permissions(&self, raw: Vec<RawPermission>) -> Result<Vec<PermissionDef>, CatalogError> {
        if raw.len() > MAX_PERMISSIONS {
            return Err(CatalogError::TooMany {
                origin: self.origin(),
                what: "permissions",
                count: raw.len(),
                max: MAX_PERMISSIONS,
            });
        }
        let mut out: Vec<PermissionDef> = Vec::with_capacity(raw.len());
        for p in raw {
            if out.iter().any(|q| q.name == p.name) {
                return Err(self.duplicate("permission", &p.name));
            }
            let retired_source = match (p.retired, p.retired_source) {
                (true, None) => {
                    return Err(CatalogError::RetiredWithoutSource {
                        origin: self.origin(),
                        word: p.name,
                    });
                }
                (true, Some(s)) => Some(s),
                (false, _) => None,
            };
            out.push(PermissionDef {
                name: p.name,
                label: p.label,
                retired_source,
            });
        }
        Ok(out)
    }

    fn tasks(&self, raw: Vec<RawTask>) -> Result<Vec<TaskDef>, CatalogError> {
        if raw.len() > MAX_TASKS {
            return Err(CatalogError::TooMany {
                origin: self.origin(),
                what: "tasks",
                count: raw.len(),
                max: MAX_TASKS,
            });
        }
        let mut out: Vec<TaskDef> = Vec::with_capacity(raw.len());
        for t in raw {
            if out.iter().any(|q| q.name == t.name) {
                return Err(self.duplicate("task", &t.name));
            }
            out.push(TaskDef {
                name: t.name,
                label: t.label,
            });
        }
        Ok(out)
    }

    fn asset_kinds(&self, raw: Vec<RawAssetKind>) -> Result<Vec<AssetKindDef>, CatalogError> {
        let mut out: Vec<AssetKindDef> = Vec::with_capacity(raw.len());
        for k in raw {
            let kind = k
                .kind
                .parse::<AssetKind>()
                .map_err(|_| CatalogError::UnknownAssetKind {
                    origin: self.origin(),
                    place: "[[asset_kind]]".to_owned(),
                    word: k.kind.clone(),
                })?;
            if out.iter().any(|q| q.kind == kind) {
                return Err(self.duplicate("asset kind", &k.kind));
            }
            let unsupported = if k.unsupported {
                let source =
                    k.unsupported_source
                        .ok_or_else(|| CatalogError::UnsupportedWithoutSource {
                            origin: self.origin(),
                            word: k.kind.clone(),
                        })?;
                Some(Unsupported {
                    since: k.unsupported_since,
                    source,
                })
            } else {
                None
            };
            out.push(AssetKindDef {
                kind,
                label: k.label,
                tasks_from_linked_page: k.tasks_from_linked_page,
                unsupported,
            });
        }
        Ok(out)
    }

    fn rule(&self, catalog: &Catalog, index: usize, r: RawRule) -> Result<Rule, CatalogError> {
        let name = format!("#{} ({} on {})", index + 1, r.feature, r.asset_kind);
        let err_word = |word: &str| (self.origin(), name.clone(), word.to_owned());
        let feature = r.feature.parse::<Feature>().map_err(|_| {
            let (origin, rule, word) = err_word(&r.feature);
            CatalogError::UnknownFeature { origin, rule, word }
        })?;
        let asset_kind =
            r.asset_kind
                .parse::<AssetKind>()
                .map_err(|_| CatalogError::UnknownAssetKind {
                    origin: self.origin(),
                    place: format!("rule {name}"),
                    word: r.asset_kind.clone(),
                })?;
        let Some(kind_def) = catalog.asset_kind(asset_kind) else {
            let (origin, rule, word) = err_word(&r.asset_kind);
            return Err(CatalogError::UndeclaredAssetKind { origin, rule, word });
        };
        if kind_def.unsupported.is_some() {
            let (origin, rule, word) = err_word(&r.asset_kind);
            return Err(CatalogError::RuleForUnsupportedKind { origin, rule, word });
        }
        let source = r.source.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            CatalogError::MissingSource {
                origin: self.origin(),
                rule: name.clone(),
            }
        })?;
        if catalog.rule(feature, asset_kind).is_some() {
            return Err(CatalogError::DuplicateRule {
                origin: self.origin(),
                rule: name,
            });
        }
        let mut seen = BTreeSet::new();
        for p in r.permissions.iter().chain(&r.permissions_any) {
            let Some(def) = catalog.permission(p) else {
                let (origin, rule, word) = err_word(p);
                return Err(CatalogError::UnknownPermission { origin, rule, word });
            };
            if def.retired() {
                let (origin, rule, word) = err_word(p);
                return Err(CatalogError::RetiredPermission { origin, rule, word });
            }
            if !seen.insert(p.as_str()) {
                let (origin, rule, word) = err_word(p);
                return Err(CatalogError::RepeatedWord { origin, rule, word });
            }
        }
        for t in r.tasks.iter().chain(&r.tasks_any) {
            if catalog.task(t).is_none() {
                let (origin, rule, word) = err_word(t);
                return Err(CatalogError::UnknownTask { origin, rule, word });
            }
            if !seen.insert(t.as_str()) {
                let (origin, rule, word) = err_word(t);
                return Err(CatalogError::RepeatedWord { origin, rule, word });
            }
        }
        let mut conditions = Vec::with_capacity(r.conditions.len());
        for c in &r.conditions {
            let cond = c.parse::<Condition>().map_err(|()| {
                let (origin, rule, word) = err_word(c);
                let known = Condition::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                CatalogError::UnknownCondition {
                    origin,
                    rule,
                    word,
                    known,
                }
            })?;
            if conditions.contains(&cond) {
                let (origin, rule, word) = err_word(c);
                return Err(CatalogError::RepeatedWord { origin, rule, word });
            }
            conditions.push(cond);
        }
        Ok(Rule {
            feature,
            asset_kind,
            permissions: r.permissions,
            permissions_any: r.permissions_any,
            tasks: r.tasks,
            tasks_any: r.tasks_any,
            conditions,
            source,
            note: r.note,
        })
    }
}
