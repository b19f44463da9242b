//! Profiles: the set of features one deployment uses (`profiles/*.toml`). A listening tool that
//! never publishes must not be told it lacks a publishing permission, so the engine only looks
//! at the profile's features.

use crate::catalog::{Catalog, Condition};
use crate::vocab::Feature;
use jiff::SignedDuration;
use serde::Deserialize;
use thiserror::Error;

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../profiles/default.toml")),
    (
        "scheduler",
        include_str!("../../../profiles/scheduler.toml"),
    ),
    (
        "listening",
        include_str!("../../../profiles/listening.toml"),
    ),
    (
        "messenger",
        include_str!("../../../profiles/messenger.toml"),
    ),
];

pub const DEFAULT_WARNING_DAYS: u32 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    #[error("no built-in profile `{name}` (built-in: {})", known.join(", "))]
    UnknownBuiltin {
        name: String,
        known: Vec<&'static str>,
    },
    #[error("{origin}: not a valid profile file: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: unknown feature `{word}` (known: {known})")]
    UnknownFeature {
        origin: String,
        word: String,
        known: String,
    },
    #[error("{origin}: feature `{feature}` has no rule in catalog {catalog}")]
    FeatureNotInCatalog {
        origin: String,
        feature: Feature,
        catalog: String,
    },
    #[error("{origin}: a profile needs `features = [...]` or `all_features = true`, not both")]
    FeatureChoice { origin: String },
    #[error("{origin}: `warning_days` must be between 1 and 365, got {days}")]
    WarningDays { origin: String, days: u32 },
}

/// Which features a profile uses. `All` means whatever the catalog it is used with serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureSelection {
    All,
    Only(Vec<Feature>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    pub selection: FeatureSelection,
    /// Days before an expiry at which features turn `at_risk`; `None` keeps the engine's default.
    pub warning_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    description: Option<String>,
    #[serde(default)]
    all_features: bool,
    features: Option<Vec<String>>,
    warning_days: Option<u32>,
}

impl Profile {
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(name, _)| *name).collect()
    }

    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            ProfileError::UnknownBuiltin {
                name: name.to_owned(),
                known: Profile::builtin_names(),
            }
        })?;
        parse(text, &format!("profiles/{name}.toml"))
    }

    /// A user's profile file, checked against the catalog it will be used with.
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        catalog: &Catalog,
    ) -> Result<Profile, ProfileError> {
        let profile = parse(text, origin)?;
        if let FeatureSelection::Only(features) = &profile.selection {
            let served = catalog.features();
            if let Some(f) = features.iter().find(|f| !served.contains(f)) {
                return Err(ProfileError::FeatureNotInCatalog {
                    origin: origin.to_owned(),
                    feature: *f,
                    catalog: catalog.origin.clone(),
                });
            }
        }
        Ok(profile)
    }

    /// Every feature the catalog serves.
    pub fn all(catalog: &Catalog) -> Profile {
        Profile {
            name: "all".to_owned(),
            description: Some(format!("All features of {}.", catalog.origin)),
            selection: FeatureSelection::Only(catalog.features()),
            warning_days: None,
        }
    }

    /// The profile's features that the catalog serves, in vocabulary order.
    pub fn features(&self, catalog: &Catalog) -> Vec<Feature> {
        let served = catalog.features();
        match &self.selection {
            FeatureSelection::All => served,
            FeatureSelection::Only(list) => {
                served.into_iter().filter(|f| list.contains(f)).collect()
            }
        }
    }

    pub fn needs_condition(&self, catalog: &Catalog, condition: Condition) -> bool {
        catalog.needs_condition(&self.features(catalog), condition)
    }

    /// The asset conditions this profile's features depend on: what a check must find out.
    pub fn conditions(&self, catalog: &Catalog) -> Vec<Condition> {
        Condition::ALL
            .iter()
            .copied()
            .filter(|c| self.needs_condition(catalog, *c))
            .collect()
    }

    /// The Graph client asks Instagram for `shopping_product_tag_eligibility` only when this holds.
    pub fn needs_product_tag_eligibility(&self, catalog: &Catalog) -> bool {
        self.needs_condition(catalog, Condition::InstagramProductTagEligible)
    }

    pub fn warning_window(&self) -> Option<SignedDuration> {
        self.warning_days
            .map(|d| SignedDuration::from_hours(i64::from(d) * 24))
    }
}

fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
    let raw: RawProfile = toml::from_str(text).map_err(|e| ProfileError::Parse {
        origin: origin.to_owned(),
        message: e.to_string(),
    })?;
    let selection = match (raw.all_features, raw.features) {
        (true, None) => FeatureSelection::All,
        (false, Some(words)) => {
            let mut features = Vec::with_capacity(words.len());
            for w in words {
                let f = w
                    .parse::<Feature>()
                    .map_err(|_| ProfileError::UnknownFeature {
                        origin: origin.to_owned(),
                        known: Feature::ALL
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        word: w,
                    })?;
                features.push(f);
            }
            features.sort();
            features.dedup();
            FeatureSelection::Only(features)
        }
        _ => {
            return Err(ProfileError::FeatureChoice {
                origin: origin.to_owned(),
            });
        }
    };
    if let Some(days) = raw.warning_days
        && !(1..=365).contains(&days)
    {
        return Err(ProfileError::WarningDays {
            origin: origin.to_owned(),
            days,
        });
    }
    Ok(Profile {
        name: raw.name,
        description: raw.description,
        selection,
        warning_days: raw.warning_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin(crate::vocab::Network::Meta).unwrap()
    }

    #[test]
    fn builtin_profiles_load_and_fit_the_builtin_catalog() {
        let c = catalog();
        for name in Profile::builtin_names() {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(p.name, name);
            if let FeatureSelection::Only(list) = &p.selection {
                assert_eq!(
                    &p.features(&c),
                    list,
                    "{name} names a feature the catalog lacks"
                );
            }
        }
        assert_eq!(
            Profile::builtin("default").unwrap().features(&c),
            Feature::ALL
        );
        assert_eq!(
            Profile::builtin("listening").unwrap().features(&c),
            [Feature::Comments, Feature::Backfill]
        );
        assert_eq!(
            Profile::builtin("messenger").unwrap().features(&c),
            [Feature::Publish, Feature::Inbox, Feature::Ads]
        );
        assert_eq!(Profile::all(&c).features(&c), Feature::ALL);
    }

    #[test]
    fn unknown_builtin_lists_the_known_ones() {
        let err = Profile::builtin("crm").unwrap_err().to_string();
        assert!(
            err.contains("`crm`") && err.contains("scheduler, listening"),
            "{err}"
        );
    }

    #[test]
    fn user_profile_with_unknown_feature_is_a_clear_error() {
        let text = "name = \"mine\"\nfeatures = [\"publish\", \"stories\"]\n";
        let err = Profile::from_toml_str(text, "mine.toml", &catalog()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "mine.toml: unknown feature `stories` (known: {})",
                Feature::ALL
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }

    #[test]
    fn user_profile_reads_warning_days_and_rejects_bad_choices() {
        let c = catalog();
        let p = Profile::from_toml_str(
            "name = \"x\"\nfeatures = [\"analytics\"]\nwarning_days = 14\n",
            "x.toml",
            &c,
        )
        .unwrap();
        assert_eq!(
            p.warning_window(),
            Some(SignedDuration::from_hours(14 * 24))
        );
        assert_eq!(
            Profile::builtin("scheduler").unwrap().warning_window(),
            None
        );
        let both = "name = \"x\"\nall_features = true\nfeatures = [\"ads\"]\n";
        assert!(matches!(
            Profile::from_toml_str(both, "x.toml", &c),
            Err(ProfileError::FeatureChoice { .. })
        ));
        let zero = "name = \"x\"\nfeatures = [\"ads\"]\nwarning_days = 0\n";
        assert!(matches!(
            Profile::from_toml_str(zero, "x.toml", &c),
            Err(ProfileError::WarningDays { days: 0, .. })
        ));
    }

    #[test]
    fn feature_without_a_rule_in_a_user_catalog_is_rejected() {
        let small = Catalog::from_toml_str(
            "network = \"meta\"\n[[asset_kind]]\nkind = \"facebook_page\"\nlabel = \"Page\"\n[[rule]]\nfeature = \"backfill\"\nasset_kind = \"facebook_page\"\nsource = \"doc\"\n",
            "small.toml",
        )
        .unwrap();
        let err =
            Profile::from_toml_str("name = \"x\"\nfeatures = [\"publish\"]\n", "x.toml", &small)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.toml: feature `publish` has no rule in catalog small.toml"
        );
    }

    #[test]
    fn only_profiles_with_product_tagging_need_tag_eligibility() {
        let c = catalog();
        assert!(
            Profile::builtin("default")
                .unwrap()
                .needs_product_tag_eligibility(&c)
        );
        for name in ["scheduler", "listening", "messenger"] {
            assert!(
                !Profile::builtin(name)
                    .unwrap()
                    .needs_product_tag_eligibility(&c),
                "{name}"
            );
        }
    }
}
