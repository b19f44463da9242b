//! The shapes Instagram Login sends (fixtures/instagram), read leniently: the code exchange comes
//! as `{"data":[{...}]}` and, in public clients, flat; errors come as the Graph envelope
//! (`{"error":{...}}`) from graph.instagram.com and flat (`error_type`, `error_message`) from
//! api.instagram.com.

use serde::Deserialize;
use serde_json::Value;

/// One error body, whichever of the two shapes it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgError {
    pub code: i64,
    pub subcode: Option<i64>,
    pub kind: Option<String>,
    pub message: String,
    pub is_transient: bool,
}

impl IgError {
    pub fn to_platform_error(&self, http_status: Option<u16>) -> tether_core::PlatformError {
        let mut e = tether_core::PlatformError::new(
            self.code,
            self.subcode.filter(|s| *s != 0),
            self.message.clone(),
        );
        e.http_status = http_status;
        e
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The error in a body, if it holds one.
pub fn parse_error(body: &str) -> Option<IgError> {
    let v: Value = serde_json::from_str(body).ok()?;
    if let Some(e) = v.get("error").filter(|e| e.is_object()) {
        return Some(IgError {
            code: e.get("code").and_then(number).unwrap_or(0),
            subcode: e.get("error_subcode").and_then(number),
            kind: e.get("type").and_then(Value::as_str).map(str::to_owned),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            is_transient: e
                .get("is_transient")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    let message = v.get("error_message").and_then(Value::as_str)?;
    Some(IgError {
        code: v.get("code").and_then(number).unwrap_or(0),
        subcode: None,
        kind: v
            .get("error_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        message: message.to_owned(),
        is_transient: false,
    })
}

/// `POST /oauth/access_token`: a short-lived token, who granted it and what they granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeReply {
    pub access_token: String,
    pub user_id: Option<String>,
    pub permissions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawCode {
    access_token: String,
    #[serde(default)]
    user_id: Option<Value>,
    #[serde(default)]
    permissions: Option<Value>,
}

/// `permissions` is "a comma-separated list"; an array is accepted too.
pub fn scope_list(v: &Value) -> Option<Vec<String>> {
    let items: Vec<String> = match v {
        Value::String(s) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|p| p.trim().to_owned())
            .collect(),
        _ => return None,
    };
    Some(items.into_iter().filter(|p| !p.is_empty()).collect())
}

pub fn parse_code_reply(body: &str) -> Option<CodeReply> {
    let v: Value = serde_json::from_str(body).ok()?;
    let item = match v.get("data").and_then(Value::as_array) {
        Some(data) => data.first()?.clone(),
        None => v,
    };
    let raw: RawCode = serde_json::from_value(item).ok()?;
    Some(CodeReply {
        access_token: raw.access_token,
        user_id: raw.user_id.as_ref().and_then(|u| match u {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        permissions: raw.permissions.as_ref().and_then(scope_list),
    })
}

/// `GET /access_token` and `GET /refresh_access_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenReply {
    pub access_token: String,
    pub expires_in: Option<i64>,
    /// Observed on refresh replies: the scopes still granted.
    pub permissions: Option<Vec<String>>,
}

pub fn parse_token_reply(body: &str) -> Option<TokenReply> {
    let v: Value = serde_json::from_str(body).ok()?;
    Some(TokenReply {
        access_token: v.get("access_token")?.as_str()?.to_owned(),
        expires_in: v.get("expires_in").and_then(number),
        permissions: v.get("permissions").and_then(scope_list),
    })
}

/// `GET /me?fields=user_id,username,account_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// The professional account id; the app-scoped `id` when `user_id` was not returned.
    pub user_id: String,
    pub username: Option<String>,
    pub account_type: Option<String>,
}

pub fn parse_me(body: &str) -> Option<Me> {
    let v: Value = serde_json::from_str(body).ok()?;
    let id = |k: &str| {
        v.get(k).and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Some(Me {
        user_id: id("user_id").or_else(|| id("id"))?,
        username: v.get("username").and_then(Value::as_str).map(str::to_owned),
        account_type: v
            .get("account_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

impl Me {
    /// Business or creator. Values seen: `BUSINESS`, `MEDIA_CREATOR`, `Media_Creator`: compared
    /// without case (docs/PLATFORMS-2.md 1.3). Anything else, `PERSONAL` included, is not
    /// professional; `None` when the reply did not say.
    pub fn professional(&self) -> Option<bool> {
        self.account_type
            .as_deref()
            .map(|t| t.eq_ignore_ascii_case("BUSINESS") || t.eq_ignore_ascii_case("MEDIA_CREATOR"))
    }
}
