//! The shapes LinkedIn sends (fixtures/linkedin), read leniently: the REST error envelope
//! (`status`, `serviceErrorCode`, `code`, `message`; `code` absent in older bodies, the v1 body
//! has `errorCode`), the OAuth endpoints' `error`/`error_description`, the token and
//! introspection replies, `/rest/me` and `organizationAcls` elements.

use serde::Deserialize;
use serde_json::Value;

/// One error body, whichever shape it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiError {
    /// The HTTP status the body names (`status`), if it names one.
    pub status: Option<u16>,
    /// `serviceErrorCode` (REST) or `errorCode` (v1).
    pub service_code: Option<i64>,
    /// `code` (REST: `REVOKED_ACCESS_TOKEN`, ...) or `error` (OAuth: `invalid_request`, ...).
    pub code: Option<String>,
    /// `message` or `error_description`.
    pub message: String,
}

impl LiError {
    pub fn to_platform_error(&self, http_status: Option<u16>) -> tether_core::PlatformError {
        // The word when there is one (how LinkedIn's docs name errors), the number beside it.
        let (code, subcode) = match (&self.code, self.service_code) {
            (Some(c), n) => (c.clone(), n.map(|n| n.to_string())),
            (None, Some(n)) => (n.to_string(), None),
            (None, None) => (http_status.or(self.status).unwrap_or(0).to_string(), None),
        };
        tether_core::PlatformError {
            code,
            subcode,
            http_status: http_status.or(self.status),
            message: self.message.clone(),
        }
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The error in a body, if it holds one.
pub fn parse_error(body: &str) -> Option<LiError> {
    let v: Value = serde_json::from_str(body).ok()?;
    let obj = v.as_object()?;
    if let Some(error) = obj.get("error").and_then(Value::as_str) {
        return Some(LiError {
            status: None,
            service_code: None,
            code: Some(error.to_owned()),
            message: obj
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let message = obj.get("message").and_then(Value::as_str)?;
    let service_code = obj
        .get("serviceErrorCode")
        .or_else(|| obj.get("errorCode"))
        .and_then(number);
    let code = obj.get("code").and_then(Value::as_str).map(str::to_owned);
    let status = obj
        .get("status")
        .and_then(number)
        .and_then(|s| u16::try_from(s).ok());
    // A bare `{"message": ...}` is not an error envelope; one of the others must be there.
    if service_code.is_none() && code.is_none() && status.is_none() {
        return None;
    }
    Some(LiError {
        status,
        service_code,
        code,
        message: message.to_owned(),
    })
}

/// The code exchange's and the refresh's reply.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenReply {
    pub access_token: String,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<String>,
    pub refresh_token_expires_in: Option<i64>,
    pub scope: Option<String>,
}

pub fn parse_token_reply(body: &str) -> Option<TokenReply> {
    serde_json::from_str::<TokenReply>(body)
        .ok()
        .filter(|t| !t.access_token.is_empty())
}

/// Scopes as LinkedIn lists them: comma-separated (introspection, token replies), spaces
/// accepted.
pub fn scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// `introspectToken`'s reply (docs/PLATFORMS-2.md 2.1).
#[derive(Debug, Clone, Deserialize)]
pub struct Introspection {
    pub active: bool,
    pub status: Option<String>,
    pub scope: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: Option<i64>,
    pub authorized_at: Option<i64>,
    pub auth_type: Option<String>,
    pub client_id: Option<String>,
}

pub fn parse_introspection(body: &str) -> Option<Introspection> {
    serde_json::from_str(body).ok()
}

/// `/rest/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub id: String,
    #[serde(rename = "localizedFirstName")]
    pub first_name: Option<String>,
    #[serde(rename = "localizedLastName")]
    pub last_name: Option<String>,
}

impl Me {
    pub fn name(&self) -> Option<String> {
        full_name(self.first_name.as_deref(), self.last_name.as_deref())
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

pub fn parse_me(body: &str) -> Option<Me> {
    serde_json::from_str::<Me>(body)
        .ok()
        .filter(|m| !m.id.is_empty())
}

/// One role assignment from `organizationAcls?q=roleAssignee`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// The number of `urn:li:organization:{id}`.
    pub organization: String,
    pub organization_name: Option<String>,
    /// The id of `urn:li:person:{id}`.
    pub person: Option<String>,
    pub person_name: Option<String>,
    /// As LinkedIn spells it, `CONTENT_ADMIN` read as `CONTENT_ADMINISTRATOR` (the ACL and the
    /// scope pages spell the role both ways; docs/PLATFORMS-2.md 2.3, unconfirmed that they are
    /// one role: the safe reading, since no rule accepts one and not the other).
    pub role: String,
    pub state: String,
}

/// One page of ACLs: the entries and whether more follow.
pub struct AclPage {
    pub entries: Vec<AclEntry>,
    pub more: bool,
}

fn urn_id<'a>(urn: &'a str, kind: &str) -> Option<&'a str> {
    urn.strip_prefix("urn:li:")?
        .strip_prefix(kind)?
        .strip_prefix(':')
}

pub fn parse_acls(body: &str, start: usize) -> Option<AclPage> {
    let v: Value = serde_json::from_str(body).ok()?;
    let elements = v.get("elements")?.as_array()?;
    let mut entries = Vec::with_capacity(elements.len());
    for e in elements {
        // v2-era answers say `organizationalTarget` (docs/PLATFORMS.md 2.2): accept both.
        let Some(org_urn) = e
            .get("organization")
            .or_else(|| e.get("organizationalTarget"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let Some(organization) = urn_id(org_urn, "organization") else {
            continue;
        };
        let role = e.get("role").and_then(Value::as_str).unwrap_or_default();
        let role = if role == "CONTENT_ADMIN" {
            "CONTENT_ADMINISTRATOR"
        } else {
            role
        };
        let decorated = |key: &str| e.get(key).filter(|d| d.is_object());
        entries.push(AclEntry {
            organization: organization.to_owned(),
            organization_name: decorated("organization~")
                .or_else(|| decorated("organizationalTarget~"))
                .and_then(|o| o.get("localizedName"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            person: e
                .get("roleAssignee")
                .and_then(Value::as_str)
                .and_then(|u| urn_id(u, "person"))
                .map(str::to_owned),
            person_name: decorated("roleAssignee~").and_then(|p| {
                full_name(
                    p.get("localizedFirstName").and_then(Value::as_str),
                    p.get("localizedLastName").and_then(Value::as_str),
                )
            }),
            role: role.to_owned(),
            state: e
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("APPROVED")
                .to_owned(),
        });
    }
    let paging = v.get("paging");
    let count = paging
        .and_then(|p| p.get("count"))
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let total = paging
        .and_then(|p| p.get("total"))
        .and_then(Value::as_u64)
        .map(|t| t as usize);
    let seen = start + elements.len();
    let more = match total {
        Some(total) => seen < total,
        None => count > 0 && elements.len() >= count,
    };
    Some(AclPage { entries, more })
}
