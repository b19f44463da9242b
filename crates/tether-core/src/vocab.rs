//! The words every surface shares (docs/PRODUCT.md "Vocabulary"). Serialized names are the docs/REPORT.md
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
    ApiVersionRetiring => "api_version_retiring",
    ApiVersionRetired => "api_version_retired",
    ScopeRetired => "scope_retired",
    ReconnectForNewScope => "reconnect_for_new_scope",
    PlatformUnsupported => "platform_unsupported",
    AccountRestricted => "account_restricted",
    DisconnectedInTether => "disconnected_in_tether",
});

wire_enum!(
    /// What a person does to fix a finding. Several findings can share one fix (every asset of a
    /// broken login is one log-in; a Page and its Instagram account missing the same task are one
    /// message to one Page admin), so people are shown fixes to make, not findings to read.
    Action { LogIn => "log_in", ClearCheckpoint => "clear_checkpoint", Reconnect => "reconnect",
             TickAccount => "tick_account", ConnectAgain => "connect_again",
             Renew => "renew", GiveTask => "give_task", RestoreAccess => "restore_access",
             LinkInstagram => "link_instagram", LiftRestriction => "lift_restriction",
             GoProfessional => "go_professional", ShopApproval => "shop_approval",
             AppReview => "app_review", UpgradeApi => "upgrade_api",
             DropUnsupported => "drop_unsupported" });

/// What one fix covers, and so what makes two findings the same fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixScope {
    /// The person's login: one log-in or reconnect fixes it for every asset it reaches.
    Login,
    /// The person's access to one Page (an Instagram account's is its linked Page's).
    Page,
    /// The account itself, whoever reaches it.
    Account,
    /// The app: one fix by its team, wherever it shows.
    App,
}

impl Action {
    pub fn scope(self) -> FixScope {
        match self {
            Action::LogIn
            | Action::ClearCheckpoint
            | Action::Reconnect
            | Action::TickAccount
            | Action::ConnectAgain
            | Action::Renew => FixScope::Login,
            Action::GiveTask | Action::RestoreAccess => FixScope::Page,
            Action::LinkInstagram
            | Action::LiftRestriction
            | Action::GoProfessional
            | Action::ShopApproval
            | Action::DropUnsupported => FixScope::Account,
            Action::AppReview | Action::UpgradeApi => FixScope::App,
        }
    }
}

impl FindingCode {
    /// The fix a finding calls for (its remedy's first step).
    pub fn action(self) -> Action {
        use FindingCode::*;
        match self {
            TokenExpired | TokenInvalidated | AppRemoved | DataAccessExpired => Action::LogIn,
            CheckpointRequired => Action::ClearCheckpoint,
            PermissionDeclined | PermissionMissing | PermissionExpired | ReconnectForNewScope => {
                Action::Reconnect
            }
            PermissionNotGrantedForAsset => Action::TickAccount,
            DisconnectedInTether => Action::ConnectAgain,
            TokenExpiring | DataAccessExpiring => Action::Renew,
            TaskMissing | RoleMissing => Action::GiveTask,
            AssetAccessLost => Action::RestoreAccess,
            InstagramNotLinked => Action::LinkInstagram,
            AccountRestricted => Action::LiftRestriction,
            InstagramNotProfessional => Action::GoProfessional,
            InstagramShoppingIneligible => Action::ShopApproval,
            AppFeatureMissing | ScopeRetired => Action::AppReview,
            ApiVersionRetiring | ApiVersionRetired => Action::UpgradeApi,
            PlatformUnsupported => Action::DropUnsupported,
        }
    }
}

impl Status {
    /// Where an asset of this status goes in a list that puts what needs action first:
    /// disconnected, action required, at risk, pending, connected, unsupported (nothing to do).
    pub fn triage(self) -> u8 {
        match self {
            Status::Disconnected => 0,
            Status::ActionRequired => 1,
            Status::AtRisk => 2,
            Status::Pending => 3,
            Status::Connected => 4,
            Status::Unsupported => 5,
        }
    }

    /// Every status in triage order.
    pub const TRIAGE: &'static [Status] = &[
        Status::Disconnected,
        Status::ActionRequired,
        Status::AtRisk,
        Status::Pending,
        Status::Connected,
        Status::Unsupported,
    ];

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
    fn triage_puts_what_needs_action_first() {
        let ranks: Vec<u8> = Status::TRIAGE.iter().map(|s| s.triage()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4, 5]);
        assert_eq!(Status::TRIAGE.len(), Status::ALL.len());
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
