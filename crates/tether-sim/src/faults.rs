//! Injected faults: Graph errors, bare HTTP failures, truncated JSON and latency.
//!
//! Matching: `endpoint` names a kind of platform call (`debug_token`, `me`, `accounts`,
//! `permissions`, `node`), `batch` names the whole batch HTTP request, and `any` matches every
//! platform call (plain requests and batch items, not the batch envelope). Latency is applied per
//! HTTP request: an `any` latency delays every request, a `batch` latency every batch request.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    DebugToken,
    Me,
    Accounts,
    Permissions,
    Node,
    Batch,
    #[default]
    Any,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::DebugToken => "debug_token",
            Endpoint::Me => "me",
            Endpoint::Accounts => "accounts",
            Endpoint::Permissions => "permissions",
            Endpoint::Node => "node",
            Endpoint::Batch => "batch",
            Endpoint::Any => "any",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub endpoint: Endpoint,
    /// Only calls made with this access token (or inspecting it, for `debug_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphErrorSpec {
    pub code: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<u32>,
    /// Defaults to the real wording for well-known codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The envelope's `type`; default `OAuthException`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    /// Minutes; puts an `X-Business-Use-Case-Usage` header on the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_time_to_regain_access: Option<u32>,
    /// The business object the BUC header is keyed by; default the app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buc_object_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStatusSpec {
    pub status: u16,
    /// A non-JSON body, like the HTML pages of a failing edge proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MalformedSpec {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    GraphError(GraphErrorSpec),
    HttpStatus(HttpStatusSpec),
    /// The real body cut in half, served with HTTP 200.
    MalformedJson(MalformedSpec),
    Latency(LatencySpec),
}

/// `POST /_admin/faults` body: `{"match":{…},"count":n,"graph_error":{…}}` (or `http_status`,
/// `malformed_json`, `latency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(rename = "match", default)]
    pub matcher: Match,
    /// How many times it fires; absent = until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(flatten)]
    pub effect: Effect,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Firings left; `None` = unlimited.
    pub remaining: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    active: Vec<ActiveFault>,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) -> ActiveFault {
        self.next_id += 1;
        let fault = ActiveFault {
            id: self.next_id,
            remaining: spec.count,
            spec,
        };
        self.active.push(fault.clone());
        fault
    }

    pub fn clear(&mut self) -> usize {
        let n = self.active.len();
        self.active.clear();
        n
    }

    pub fn list(&self) -> &[ActiveFault] {
        &self.active
    }

    fn token_matches(m: &Match, tokens: &[&str]) -> bool {
        m.token.as_deref().is_none_or(|t| tokens.contains(&t))
    }

    /// Uses up one firing of fault `i`.
    fn fire(&mut self, i: usize) -> Effect {
        let effect = self.active[i].spec.effect.clone();
        if let Some(left) = &mut self.active[i].remaining {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.active.remove(i);
            }
        }
        effect
    }

    /// The first non-latency fault for a platform call (`batch` = the batch envelope itself).
    pub fn take_call_fault(&mut self, endpoint: Endpoint, tokens: &[&str]) -> Option<Effect> {
        let i = self.active.iter().position(|f| {
            let m = &f.spec.matcher;
            let endpoint_ok = if endpoint == Endpoint::Batch {
                m.endpoint == Endpoint::Batch
            } else {
                m.endpoint == Endpoint::Any || m.endpoint == endpoint
            };
            !matches!(f.spec.effect, Effect::Latency(_))
                && endpoint_ok
                && Self::token_matches(m, tokens)
        })?;
        Some(self.fire(i))
    }

    /// Total latency to add to one HTTP request (every matching latency fault fires once).
    pub fn take_latency_ms(&mut self, endpoint: Endpoint, tokens: &[&str]) -> u64 {
        let mut total = 0;
        let mut i = 0;
        while i < self.active.len() {
            let f = &self.active[i];
            let hit = matches!(f.spec.effect, Effect::Latency(_))
                && (f.spec.matcher.endpoint == Endpoint::Any
                    || f.spec.matcher.endpoint == endpoint)
                && Self::token_matches(&f.spec.matcher, tokens);
            if hit {
                let before = self.active.len();
                if let Effect::Latency(l) = self.fire(i) {
                    total += l.ms;
                }
                if self.active.len() < before {
                    continue;
                }
            }
            i += 1;
        }
        total
    }
}
