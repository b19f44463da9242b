//! The shapes TikTok sends (fixtures/tiktok), read leniently: the Open API envelope
//! (`{"data": {...}, "error": {"code", "message", "log_id"}}`, `"code": "ok"` on success, errors
//! inside HTTP 200 too), the OAuth endpoints' `{"error", "error_description", "log_id"}`, the token
//! reply, `/v2/user/info/` and `creator_info/query`.

use serde::Deserialize;
use serde_json::Value;

/// One error body, whichever shape it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtError {
    /// `error.code` (Open API: `access_token_invalid`, ...) or `error` (OAuth: `invalid_grant`, ...).
    pub code: String,
    /// `error.message` or `error_description`.
    pub message: String,
    pub log_id: Option<String>,
    /// From an OAuth endpoint (`error` is a word, not an object).
    pub oauth: bool,
}

impl TtError {
    pub fn to_platform_error(&self, http_status: Option<u16>) -> tether_core::PlatformError {
        tether_core::PlatformError {
            code: self.code.clone(),
            subcode: None,
            http_status,
            message: self.message.clone(),
        }
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// The error a body holds, if it holds one. An Open API body whose `error.code` is `ok` holds
/// none; a body with no error at all (a token reply) holds none.
pub fn parse_error(body: &str) -> Option<TtError> {
    let v: Value = serde_json::from_str(body).ok()?;
    error_of(&v)
}

pub fn error_of(v: &Value) -> Option<TtError> {
    let obj = v.as_object()?;
    match obj.get("error")? {
        Value::String(word) => Some(TtError {
            code: word.clone(),
            message: text(obj.get("error_description")).unwrap_or_default(),
            log_id: text(obj.get("log_id")),
            oauth: true,
        }),
        Value::Object(e) => {
            let code = text(e.get("code"))?;
            if code == "ok" || code.is_empty() {
                return None;
            }
            Some(TtError {
                code,
                message: text(e.get("message")).unwrap_or_default(),
                log_id: text(e.get("log_id")),
                oauth: false,
            })
        }
        _ => None,
    }
}

/// The token endpoint's reply (code exchange and refresh).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenReply {
    pub access_token: String,
    pub expires_in: Option<i64>,
    pub open_id: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_expires_in: Option<i64>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
}

pub fn parse_token_reply(body: &str) -> Option<TokenReply> {
    serde_json::from_str::<TokenReply>(body)
        .ok()
        .filter(|t| !t.access_token.is_empty())
}

/// Scopes as TikTok lists them: comma-separated ("A comma-separated list (,) of the scopes the
/// user has agreed to authorize"), spaces accepted.
pub fn scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// `/v2/user/info/`'s `data.user`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    pub open_id: Option<String>,
    pub union_id: Option<String>,
    pub display_name: Option<String>,
}

pub fn parse_user(body: &str) -> Option<User> {
    let v: Value = serde_json::from_str(body).ok()?;
    if error_of(&v).is_some() {
        return None;
    }
    serde_json::from_value(v.get("data")?.get("user")?.clone()).ok()
}

/// `creator_info/query`'s `data` (docs/PLATFORMS-2.md 4.4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreatorInfo {
    pub creator_username: Option<String>,
    pub creator_nickname: Option<String>,
    #[serde(default)]
    pub privacy_level_options: Vec<String>,
    pub comment_disabled: Option<bool>,
    pub max_video_post_duration_sec: Option<i64>,
}

pub fn parse_creator_info(body: &str) -> Option<CreatorInfo> {
    let v: Value = serde_json::from_str(body).ok()?;
    if error_of(&v).is_some() {
        return None;
    }
    serde_json::from_value(v.get("data")?.clone()).ok()
}
