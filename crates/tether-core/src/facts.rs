//! Facts: what the platform said about one login and the assets it reaches, at one moment.
//! Platform clients (and later the store and push signals) produce them; the engine only reads
//! them. Nothing here holds a token.

use crate::vocab::{AssetKind, Feature};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The platform's own error, kept verbatim for support (`platform_error` in docs/REPORT.md).
/// Codes are text because networks disagree on their type: Meta's `190`/`463` are numbers,
/// LinkedIn's `REVOKED_ACCESS_TOKEN` and TikTok's `access_token_invalid` are words. Facts stored
/// before report version 2 hold numbers; they still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformError {
    #[serde(deserialize_with = "code_text")]
    pub code: String,
    #[serde(
        default,
        deserialize_with = "optional_code_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub subcode: Option<String>,
    /// The HTTP status the error came with, when the client saw one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    pub message: String,
}

impl PlatformError {
    pub fn new(
        code: impl ToString,
        subcode: Option<impl ToString>,
        message: impl Into<String>,
    ) -> PlatformError {
        PlatformError {
            code: code.to_string(),
            subcode: subcode.map(|s| s.to_string()),
            http_status: None,
            message: message.into(),
        }
    }

    pub fn with_status(mut self, status: u16) -> PlatformError {
        self.http_status = Some(status);
        self
    }

    /// `190/463`, `REVOKED_ACCESS_TOKEN`: how support reads it.
    pub fn code_text(&self) -> String {
        match &self.subcode {
            Some(s) => format!("{}/{s}", self.code),
            None => self.code.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CodeText {
    Number(i64),
    Text(String),
}

impl From<CodeText> for String {
    fn from(c: CodeText) -> String {
        match c {
            CodeText::Number(n) => n.to_string(),
            CodeText::Text(s) => s,
        }
    }
}

fn code_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    CodeText::deserialize(d).map(String::from)
}

fn optional_code_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<CodeText>::deserialize(d).map(|c| c.map(String::from))
}

/// Why a login's token no longer works. Each maps to exactly one finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokenReason {
    /// 190/463, or `expires_at` in the past.
    Expired,
    /// 190/460.
    PasswordChanged,
    /// 190/466: invalidated explicitly through an API call.
    SessionInvalidated,
    /// 190/467.
    LoggedOut,
    /// 190/468: the person has not used the app for a long time.
    Inactive,
    /// 190/458, deauthorize callback, `permissions` webhook `connected` revoked.
    AppRemoved,
    /// 190/459: the person must log in on the network and clear a security checkpoint.
    Checkpoint,
    /// The 90-day data-access window closed: the token still authenticates, but the platform
    /// refuses the person's data until they log in again (190/493, or a refusal such as `#200`
    /// while `data_access_expires_at` is past).
    DataAccessExpired,
    /// 190/464: the person must confirm their account on the network.
    UnconfirmedUser,
    /// The token is not a token the platform can read (cannot parse, cannot decrypt, bad signature,
    /// malformed).
    Unreadable,
    /// A 190/102 the platform gave no more detail on: still broken, reason unknown.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TokenValidity {
    Valid,
    Broken {
        reason: BrokenReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform_error: Option<PlatformError>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFacts {
    pub validity: TokenValidity,
    /// `None` means the platform says the token never expires (`expires_at: 0`).
    pub expires_at: Option<Timestamp>,
    /// `None` means never (system users) or not reported.
    pub data_access_expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    Granted,
    Declined,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGrant {
    pub name: String,
    pub status: PermissionStatus,
}

/// One `granular_scopes` entry. `target_ids: None` means the grant is not restricted to assets
/// (docs/PLATFORMS.md 1.2: entries without `target_ids` are observed; we read them as unrestricted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GranularScope {
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ids: Option<Vec<String>>,
}

/// A problem seen on a real platform call (a probe, or a call the product reported) that the
/// token inspection itself cannot show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedProblem {
    pub kind: ObservedKind,
    /// The features the failing call belonged to; empty means every feature.
    #[serde(default)]
    pub features: Vec<Feature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_error: Option<PlatformError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObservedKind {
    /// Code 3 / app review / advanced access: the app itself lacks the capability.
    AppFeatureMissing,
    /// The platform no longer serves the API version the app sends (LinkedIn's 426
    /// `NONEXISTENT_VERSION`), or says it sent none (400 `VERSION_MISSING`): every call fails
    /// until the app's team moves on. `sunset`: the day the catalog says the version ended, when
    /// it was the version the catalog names.
    ApiVersionRetired {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sunset: Option<Timestamp>,
    },
    /// Code 368: the asset is temporarily blocked for policy reasons.
    AccountRestricted,
    /// 190/492 and friends: the person no longer has a role on the asset.
    AssetAccessLost,
    /// Code 10 / 200-299 naming a permission.
    PermissionMissing { permission: String },
}

/// Everything known about one login (a person's grant of the app on one network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFacts {
    /// App-scoped user id, when the platform told it.
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub token: TokenFacts,
    /// From `/me/permissions` (granted / declined / expired). When that call could not be made
    /// (broken token) this holds the token's `scopes` as granted.
    pub permissions: Vec<PermissionGrant>,
    pub granular_scopes: Vec<GranularScope>,
    /// Login-wide problems seen on calls (e.g. code 3 on the accounts call).
    #[serde(default)]
    pub observed: Vec<ObservedProblem>,
}

/// Asset conditions. `None` means not checked (the profile needs no feature that depends on it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstagramFacts {
    /// The Page this Instagram account is reached through (and whose tasks apply to it).
    pub linked_page_id: Option<String>,
    /// Professional (business or creator) account; personal accounts are not reachable by the API.
    pub professional: Option<bool>,
    /// `shopping_product_tag_eligibility`.
    pub product_tag_eligible: Option<bool>,
}

/// Everything known about one asset as reached through one login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetFacts {
    pub kind: AssetKind,
    pub id: String,
    pub name: Option<String>,
    /// Still listed for the login (`/me/accounts`). An asset the login was granted for but that
    /// is no longer listed has lost access.
    pub listed: bool,
    /// The connecting person's tasks (Meta) or roles on the asset, as the platform spells them.
    pub tasks: Vec<String>,
    /// Only for `instagram_account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instagram: Option<InstagramFacts>,
    #[serde(default)]
    pub observed: Vec<ObservedProblem>,
}

impl AssetFacts {
    /// Ids a per-asset grant (`granular_scopes[].target_ids`) may name for this asset: its own id,
    /// and for an Instagram account the Page it is reached through.
    pub fn grant_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(
            self.instagram
                .as_ref()
                .and_then(|ig| ig.linked_page_id.as_deref()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::PlatformError;

    #[test]
    fn numeric_codes_stored_before_version_2_still_read() {
        let old: PlatformError =
            serde_json::from_str(r#"{"code":190,"subcode":463,"message":"Session has expired"}"#)
                .unwrap();
        assert_eq!(
            old,
            PlatformError::new(190, Some(463), "Session has expired")
        );
        assert_eq!(old.code_text(), "190/463");
        let word: PlatformError = serde_json::from_str(
            r#"{"code":"REVOKED_ACCESS_TOKEN","subcode":"65601","http_status":401,"message":"x"}"#,
        )
        .unwrap();
        assert_eq!(word.http_status, Some(401));
        assert_eq!(
            serde_json::to_value(&word).unwrap()["code"],
            "REVOKED_ACCESS_TOKEN"
        );
    }
}
