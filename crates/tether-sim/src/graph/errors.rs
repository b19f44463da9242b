//! Graph API error envelopes with the wording the real API uses (see fixtures/meta at the repository root).
//! Where no real sample exists the wording is the simulator's own and says so.

use rand::Rng;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub http_status: u16,
    pub message: String,
    /// The envelope's `type` (`OAuthException`, `GraphMethodException`).
    pub kind: String,
    pub code: u32,
    pub subcode: Option<u32>,
    pub is_transient: Option<bool>,
}

pub fn fbtrace_id() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(23)
        .map(char::from)
        .collect()
}

impl GraphError {
    pub fn new(http_status: u16, kind: &str, code: u32, message: impl Into<String>) -> GraphError {
        GraphError {
            http_status,
            message: message.into(),
            kind: kind.to_string(),
            code,
            subcode: None,
            is_transient: None,
        }
    }

    fn oauth(code: u32, message: impl Into<String>) -> GraphError {
        Self::new(400, "OAuthException", code, message)
    }

    pub fn with_subcode(mut self, subcode: u32) -> GraphError {
        self.subcode = Some(subcode);
        self
    }

    /// `{"error":{message,type,code,error_subcode?,is_transient?,fbtrace_id}}`.
    pub fn envelope(&self) -> Value {
        let mut e = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": fbtrace_id(),
        });
        if let Some(sub) = self.subcode {
            e["error_subcode"] = json!(sub);
        }
        if let Some(t) = self.is_transient {
            e["is_transient"] = json!(t);
        }
        json!({ "error": e })
    }

    /// Value of the `WWW-Authenticate` header the API sends with errors.
    pub fn www_authenticate(&self) -> String {
        let kind = if self.code == 190 {
            "invalid_token"
        } else {
            "invalid_request"
        };
        format!(
            "OAuth \"Facebook Platform\" \"{kind}\" \"{}\"",
            self.message.replace('"', "'")
        )
    }

    /// A dead user or Page token (code 190 with the subcode saying why).
    pub fn token_dead(subcode: u32, message: &str) -> GraphError {
        Self::oauth(190, message).with_subcode(subcode)
    }

    pub fn cannot_parse() -> GraphError {
        Self::oauth(190, CANNOT_PARSE)
    }

    pub fn bad_signature() -> GraphError {
        Self::oauth(190, BAD_SIGNATURE)
    }

    pub fn proof_invalid() -> GraphError {
        Self::new(
            400,
            "GraphMethodException",
            100,
            "Invalid appsecret_proof provided in the API argument",
        )
    }

    /// The real API words a missing proof differently from a wrong one; same code and type.
    pub fn proof_missing() -> GraphError {
        Self::new(
            400,
            "GraphMethodException",
            100,
            "API calls from the server require an appsecret_proof argument",
        )
    }

    pub fn need_app_token() -> GraphError {
        Self::oauth(
            100,
            "(#100) You must provide an app access token, or a user access token that is an owner or developer of the app",
        )
    }

    pub fn no_active_token() -> GraphError {
        Self::oauth(
            2500,
            "An active access token must be used to query information about the current user.",
        )
    }

    /// A user token whose 90-day data-access window closed. Wording recorded from the real API
    /// (pxdl/fbpages-telegram-bot issue #9; tobilg/facebook-events-by-location-core issue #29).
    pub fn data_access_closed() -> GraphError {
        Self::oauth(
            200,
            "(#200) Access to this data is temporarily disabled for non-active accounts due to changes we are making to the Facebook Platform",
        )
    }

    pub fn token_required() -> GraphError {
        Self::oauth(104, "An access token is required to request this resource.")
    }

    pub fn param_required(name: &str) -> GraphError {
        Self::oauth(100, format!("(#100) The parameter {name} is required"))
    }

    pub fn invalid_param(message: String) -> GraphError {
        Self::oauth(100, format!("(#100) {message}"))
    }

    pub fn nonexisting_field(field: &str, node: &str) -> GraphError {
        Self::oauth(
            100,
            format!("(#100) Tried accessing nonexisting field ({field}) on node type ({node})"),
        )
    }

    pub fn unsupported(method: &str, id: &str) -> GraphError {
        Self::new(
            400,
            "GraphMethodException",
            100,
            format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
    }

    pub fn unknown_path(path: &str) -> GraphError {
        Self::oauth(2500, format!("Unknown path components: /{path}"))
    }

    pub fn syntax(message: String) -> GraphError {
        Self::oauth(2500, message)
    }

    /// Real wording for a batch over 50 items.
    pub fn batch_too_large() -> GraphError {
        Self::oauth(
            1,
            "(#1) Too many requests in batch message. Maximum batch size is 50",
        )
    }

    /// Simulator wording: no real sample of a malformed `batch` parameter was found.
    pub fn batch_malformed(detail: &str) -> GraphError {
        Self::oauth(
            100,
            format!("(#100) The parameter batch must be a JSON array of requests: {detail}"),
        )
    }
}

pub const CANNOT_PARSE: &str = "Invalid OAuth access token - Cannot parse access token";
pub const BAD_SIGNATURE: &str = "Invalid OAuth access token signature.";

/// The default message for an injected error code (real wording from the fixtures).
pub fn default_message(code: u32) -> String {
    match code {
        1 => "An unknown error occurred".into(),
        2 => "(#2) Service temporarily unavailable".into(),
        4 => "(#4) Application request limit reached".into(),
        17 => "(#17) User request limit reached".into(),
        32 => "(#32) Page request limit reached".into(),
        190 => "Invalid OAuth access token.".into(),
        613 => "(#613) Calls to this api have exceeded the rate limit.".into(),
        80001 => "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.".into(),
        80002 => "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.".into(),
        other => format!("(#{other}) Simulated error"),
    }
}
