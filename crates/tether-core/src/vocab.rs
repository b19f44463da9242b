//! The words every surface shares (PRODUCT.md "Vocabulary"). Serialized names are the REPORT.md
//! contract: they change only with a report version bump.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownWord { kind: stringify!($name), word: s.to_owned(),
                                           known: &[$($wire),+] }),
                }
            }
        }
    };
}

/// A word that is not in one of the fixed vocabularies; names the word and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{word}` (known: {})", known.join(", "))]
pub struct UnknownWord {
    pub kind: &'static str,
    pub word: String,
    pub known: &'static [&'static str],
}

wire_enum!(
    /// A social network Tether connects to.
    Network { Meta => "meta", Instagram => "instagram", Linkedin => "linkedin",
              Pinterest => "pinterest", Tiktok => "tiktok" });

wire_enum!(
    /// Something a product acts on.
    AssetKind { FacebookPage => "facebook_page", InstagramAccount => "instagram_account",
                FacebookGroup => "facebook_group", LinkedinOrganization => "linkedin_organization",
                PinterestAccount => "pinterest_account", TiktokAccount => "tiktok_account" });

wire_enum!(
    /// A product capability.
    Feature { Publish => "publish", PublishVideo => "publish_video", Analytics => "analytics",
              Inbox => "inbox", Comments => "comments", Ads => "ads", Leads => "leads",
              Webhooks => "webhooks", Backfill => "backfill", ProductTagging => "product_tagging" });

wire_enum!(
    /// Health of an asset or a login. Declared from best to worst for the "worst finding wins"
    /// rule, except `pending` and `unsupported`, which are not on that scale (see `Status::rank`).
    Status { Connected => "connected", AtRisk => "at_risk", ActionRequired => "action_required",
             Disconnected => "disconnected", Pending => "pending", Unsupported => "unsupported" });

wire_enum!(
    /// Whether one feature works on one asset.
    FeatureVerdict { Available => "available", AtRisk => "at_risk", Unavailable => "unavailable" });

wire_enum!(
    /// Who must act on a finding.
    Owner { ConnectingUser => "connecting_user", AssetAdmin => "asset_admin",
            BusinessAdmin => "business_admin", AccountOwner => "account_owner",
            AppOwner => "app_owner", Platform => "platform" });

wire_enum!(
/// Why something does not work, or will stop working.
FindingCode {
    TokenExpired => "token_expired",
    TokenInvalidated => "token_invalidated",
    AppRemoved => "app_removed",
    CheckpointRequired => "checkpoint_required",
    DataAccessExpired => "data_access_expired",
    TokenExpiring => "token_expiring",
    DataAccessExpiring => "data_access_expiring",
    PermissionDeclined => "permission_declined",
    PermissionMissing => "permission_missing",
    PermissionExpired => "permission_expired",
    PermissionNotGrantedForAsset => "permission_not_granted_for_asset",
    TaskMissing => "task_missing",
    RoleMissing => "role_missing",
    AssetAccessLost => "asset_access_lost",
    InstagramNotProfessional => "instagram_not_professional",
    InstagramNotLinked => "instagram_not_linked",
    InstagramShoppingIneligible => "instagram_shopping_ineligible",
    AppFeatureMissing => "app_feature_missing",
    ScopeRetired => "scope_retired",
    ReconnectForNewScope => "reconnect_for_new_scope",
    PlatformUnsupported => "platform_unsupported",
    AccountRestricted => "account_restricted",
    DisconnectedInTether => "disconnected_in_tether",
});

impl Status {
    /// Severity for "the status is the worst of its findings": higher is worse. `pending` sits
    /// below `connected` (nothing known yet) and `unsupported` above everything (nothing can work).
    pub fn rank(self) -> u8 {
        match self {
            Status::Pending => 0,
            Status::Connected => 1,
            Status::AtRisk => 2,
            Status::ActionRequired => 3,
            Status::Disconnected => 4,
            Status::Unsupported => 5,
        }
    }

    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl FeatureVerdict {
    pub fn rank(self) -> u8 {
        match self {
            FeatureVerdict::Available => 0,
            FeatureVerdict::AtRisk => 1,
            FeatureVerdict::Unavailable => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_name_themselves() {
        for f in Feature::ALL {
            assert_eq!(f.as_str().parse::<Feature>().unwrap(), *f);
        }
        let err = "publish_reels".parse::<Feature>().unwrap_err();
        assert!(
            err.to_string().contains("unknown Feature `publish_reels`"),
            "{err}"
        );
        assert!(err.to_string().contains("publish_video"), "{err}");
    }

    #[test]
    fn worst_status_wins() {
        assert_eq!(Status::Connected.worst(Status::AtRisk), Status::AtRisk);
        assert_eq!(
            Status::Disconnected.worst(Status::ActionRequired),
            Status::Disconnected
        );
        assert_eq!(Status::Pending.worst(Status::Connected), Status::Connected);
    }
}
