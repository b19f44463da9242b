//! The Graph API surface: one platform call in, one reply out. Plain HTTP requests and batch
//! items go through the same [`run_call`], so they count, fail and answer identically.

pub mod batch;
pub mod errors;
pub mod nodes;
pub mod token;

use serde_json::Value;

use crate::faults::{Effect, Endpoint};
use crate::fields::{self, Field};
use crate::state::Inner;
use errors::GraphError;
use nodes::Render;
use token::Viewer;

#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    /// Not JSON (injected HTTP failures, truncated JSON).
    Raw(String),
}

/// A BUC rate-limit report for `X-Business-Use-Case-Usage`.
#[derive(Debug, Clone)]
pub struct Buc {
    pub object_id: String,
    pub kind: &'static str,
    pub minutes: u32,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub error: Option<GraphError>,
    pub buc: Option<Buc>,
}

impl Reply {
    pub fn ok(v: Value) -> Reply {
        Reply {
            status: 200,
            body: Body::Json(v),
            error: None,
            buc: None,
        }
    }

    pub fn err(e: GraphError) -> Reply {
        Reply {
            status: e.http_status,
            body: Body::Json(e.envelope()),
            error: Some(e),
            buc: None,
        }
    }

    pub fn body_text(&self) -> String {
        match &self.body {
            Body::Json(v) => v.to_string(),
            Body::Raw(s) => s.clone(),
        }
    }
}

/// One platform call: a path without version prefix and its parameters.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    /// `http://host` of the request, for absolute `paging.next` links.
    pub host_base: &'a str,
    pub version: Option<&'a str>,
}

impl Call<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `/v24.0/me/accounts` into `(Some("v24.0"), "me/accounts")`.
pub fn split_version(path: &str) -> (Option<&str>, &str) {
    let trimmed = path.trim_start_matches('/');
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let is_version = first
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
    if is_version {
        (Some(first), rest)
    } else {
        (None, trimmed)
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

pub fn endpoint_of(path: &str) -> Endpoint {
    match segments(path).as_slice() {
        ["debug_token"] => Endpoint::DebugToken,
        ["me"] => Endpoint::Me,
        [_, "accounts"] => Endpoint::Accounts,
        [_, "permissions"] => Endpoint::Permissions,
        _ => Endpoint::Node,
    }
}

/// The reply an injected fault produces in place of (or, for truncation, from) the real one.
pub fn apply_fault(effect: Effect, app_id: &str, real: impl FnOnce() -> Reply) -> Reply {
    match effect {
        Effect::GraphError(spec) => {
            let mut e = GraphError::new(
                spec.http_status.unwrap_or(400),
                spec.kind.as_deref().unwrap_or("OAuthException"),
                spec.code,
                spec.message
                    .unwrap_or_else(|| errors::default_message(spec.code)),
            );
            e.subcode = spec.subcode;
            e.is_transient = spec.is_transient;
            let mut reply = Reply::err(e);
            reply.buc = spec.estimated_time_to_regain_access.map(|minutes| Buc {
                object_id: spec.buc_object_id.unwrap_or_else(|| app_id.to_string()),
                kind: buc_kind(spec.code),
                minutes,
            });
            reply
        }
        Effect::HttpStatus(spec) => Reply {
            status: spec.status,
            body: Body::Raw(spec.body.unwrap_or_else(|| {
                format!(
                    "<html><body><h1>{} Service Unavailable</h1></body></html>",
                    spec.status
                )
            })),
            error: None,
            buc: None,
        },
        Effect::MalformedJson(_) => {
            let text = real().body_text();
            let cut = text.len() / 2;
            let cut = (0..=cut)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            Reply {
                status: 200,
                body: Body::Raw(text[..cut].to_string()),
                error: None,
                buc: None,
            }
        }
        // Latency is handled per HTTP request before the call runs.
        Effect::Latency(_) => real(),
    }
}

/// BUC type names per error code (docs/PLATFORMS.md 1.7).
fn buc_kind(code: u32) -> &'static str {
    match code {
        80000 => "ads_insights",
        80002 => "instagram",
        80004 => "ads_management",
        80005 => "leadgen",
        80006 => "messenger",
        _ => "pages",
    }
}

/// Runs one platform call: counts it, applies any fault, answers.
pub fn run_call(inner: &mut Inner, call: &Call) -> Reply {
    let endpoint = endpoint_of(call.path);
    inner.count_call(endpoint.as_str());
    let tokens: Vec<&str> = ["access_token", "input_token"]
        .iter()
        .filter_map(|k| call.param(k))
        .collect();
    if let Some(effect) = inner.faults.take_call_fault(endpoint, &tokens) {
        inner.stats.faults_applied += 1;
        let app_id = inner.world.app.id.clone();
        return apply_fault(effect, &app_id, || answer(inner, call));
    }
    answer(inner, call)
}

fn answer(inner: &mut Inner, call: &Call) -> Reply {
    match dispatch(inner, call) {
        Ok(v) => Reply::ok(v),
        Err(e) => Reply::err(e),
    }
}

fn parse_fields(call: &Call) -> Result<Option<Vec<Field>>, GraphError> {
    match call.param("fields") {
        None | Some("") => Ok(None),
        Some(text) => fields::parse(text)
            .map(Some)
            .map_err(|e| GraphError::syntax(e.to_string())),
    }
}

fn dispatch(inner: &mut Inner, call: &Call) -> Result<Value, GraphError> {
    let now = inner.clock.now();
    let segs = segments(call.path);
    if !call.method.eq_ignore_ascii_case("GET") {
        let id = segs.first().copied().unwrap_or("");
        return Err(GraphError::unsupported(
            &call.method.to_ascii_lowercase(),
            id,
        ));
    }
    let token = call.param("access_token");
    let proof = call.param("appsecret_proof");
    if segs.as_slice() == ["debug_token"] {
        return token::debug_token(&inner.world, now, token, proof, call.param("input_token"));
    }
    let fields = parse_fields(call)?;
    let world = &inner.world;
    let viewer = token::authenticate(world, now, token, proof)?;
    if let Viewer::User { token } = viewer
        && world
            .users
            .get(&token.user)
            .is_some_and(|u| u.data_access_expires_at <= now)
    {
        // The token still authenticates (debug_token calls it valid); the person's data is
        // withheld until they log in again.
        return Err(GraphError::data_access_closed());
    }
    let link_base = match call.version {
        Some(v) => format!("{}/{v}", call.host_base),
        None => call.host_base.to_string(),
    };
    let mut r = Render {
        world,
        now,
        viewer,
        link_base,
        access_token: token.unwrap_or_default(),
        proof,
        minted: Vec::new(),
    };
    let value = node_or_edge(&mut r, call, &segs, fields.as_deref())?;
    let minted = std::mem::take(&mut r.minted);
    for t in minted {
        inner.world.tokens.insert(t.token.clone(), t);
    }
    Ok(value)
}

fn node_or_edge(
    r: &mut Render<'_>,
    call: &Call,
    segs: &[&str],
    fields: Option<&[Field]>,
) -> Result<Value, GraphError> {
    let world = r.world;
    let (id, edge) = match segs {
        [id] => (*id, None),
        [id, edge] => (*id, Some(*edge)),
        [] => return Err(GraphError::unsupported("get", "")),
        _ => return Err(GraphError::unknown_path(call.path)),
    };
    let own_user = match r.viewer {
        Viewer::User { token } if id == "me" || id == token.user => world.users.get(&token.user),
        _ => None,
    };
    if let Some(user) = own_user {
        return match edge {
            None => r.user(user, fields),
            Some("accounts") => r.accounts(user, fields, call.param("limit"), call.param("after")),
            Some("permissions") => r.permissions(user, fields, call.param("limit")),
            Some(other) => Err(GraphError::nonexisting_field(other, "User")),
        };
    }
    let page_id = match (id, r.viewer) {
        ("me", Viewer::Page { page, .. }) => page,
        ("me", _) => return Err(GraphError::no_active_token()),
        _ => id,
    };
    if let Some(page) = world.page(page_id)
        && r.can_see_page(page)
    {
        return match edge {
            None => r.page(page, fields),
            Some(other) => Err(GraphError::nonexisting_field(other, "Page")),
        };
    }
    if let Some(ig) = world.instagram.get(id)
        && r.can_see_instagram(ig)
    {
        return match edge {
            None => r.instagram(ig, fields),
            Some(other) => Err(GraphError::nonexisting_field(other, "IGUser")),
        };
    }
    Err(GraphError::unsupported("get", id))
}
