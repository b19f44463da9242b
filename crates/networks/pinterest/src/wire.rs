//! The shapes Pinterest sends (fixtures/pinterest), read leniently: the error body
//! `{"code":int,"message":string}` (live 401s add `"status":"failure"`; older answers also carry
//! `data`, `endpoint_name`, `host`), the token endpoint's reply and `GET /v5/user_account`.

use serde::Deserialize;
use serde_json::Value;

/// One error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinError {
    /// Pinterest's own code (2, 3, 8, 29, 283, ...). Some of the spec's examples put the HTTP
    /// status here instead (403, 404); it is kept as sent.
    pub code: i64,
    pub message: String,
}

impl PinError {
    pub fn to_platform_error(&self, http_status: Option<u16>) -> tether_core::PlatformError {
        tether_core::PlatformError {
            code: self.code.to_string(),
            subcode: None,
            http_status,
            message: self.message.clone(),
        }
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The error in a body, if it holds one: an object with a numeric `code` and a `message`.
pub fn parse_error(body: &str) -> Option<PinError> {
    let v: Value = serde_json::from_str(body).ok()?;
    error_of(&v)
}

pub fn error_of(v: &Value) -> Option<PinError> {
    let obj = v.as_object()?;
    let code = obj.get("code").and_then(number)?;
    let message = obj.get("message").and_then(Value::as_str)?;
    Some(PinError {
        code,
        message: message.to_owned(),
    })
}

/// The token endpoint's reply to `authorization_code` and `refresh_token` grants (the spec's
/// `OauthAccessTokenResponseCode` / `...Refresh`). Numbers are read whether sent as numbers or
/// strings (a mock in Pinterest's own quickstart sends `"expires_in": "2592000"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenReply {
    pub access_token: String,
    pub expires_in: Option<i64>,
    pub scope: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_token_expires_in: Option<i64>,
    /// Seconds since the epoch.
    pub refresh_token_expires_at: Option<i64>,
    pub response_type: Option<String>,
}

pub fn parse_token_reply(body: &str) -> Option<TokenReply> {
    let v: Value = serde_json::from_str(body).ok()?;
    let obj = v.as_object()?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let access_token = text("access_token").filter(|t| !t.is_empty())?;
    Some(TokenReply {
        access_token,
        expires_in: obj.get("expires_in").and_then(number),
        scope: text("scope"),
        refresh_token: text("refresh_token").filter(|t| !t.is_empty()),
        refresh_token_expires_in: obj.get("refresh_token_expires_in").and_then(number),
        refresh_token_expires_at: obj.get("refresh_token_expires_at").and_then(number),
        response_type: text("response_type"),
    })
}

/// Scopes as Pinterest writes them: comma-separated in the dialog's `scope` parameter,
/// space-separated in token replies; both accepted, duplicates dropped, order kept.
pub fn scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// `GET /v5/user_account` (the spec's `Account`): only what a check needs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: Option<String>,
    /// `PINNER` or `BUSINESS`.
    pub account_type: Option<String>,
    pub business_name: Option<String>,
}

impl Account {
    /// How the account is named: the business name when it has one, else the username.
    pub fn name(&self) -> Option<String> {
        self.business_name
            .as_deref()
            .or(self.username.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

pub fn parse_account(body: &str) -> Option<Account> {
    serde_json::from_str::<Account>(body)
        .ok()
        .filter(|a| !a.id.is_empty())
}
