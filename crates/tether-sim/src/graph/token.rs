//! Reading an access token: app token or world token, `appsecret_proof`, validity with the real
//! subcodes and messages, and the `/debug_token` answer.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use sha2::Sha256;

use super::errors::{BAD_SIGNATURE, CANNOT_PARSE, GraphError};
use crate::world::{Grant, Token, TokenKind, TokenState, World};

/// Who a call acts as.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'w> {
    App,
    User { token: &'w Token },
    Page { token: &'w Token, page: &'w str },
}

impl<'w> Viewer<'w> {
    pub fn user_id(&self) -> Option<&'w str> {
        match self {
            Viewer::App => None,
            Viewer::User { token } | Viewer::Page { token, .. } => Some(token.user.as_str()),
        }
    }
}

enum Resolved<'w> {
    App,
    BadAppSecret,
    Known(&'w Token),
    Unknown,
}

fn resolve<'w>(world: &'w World, token: &str) -> Resolved<'w> {
    if let Some((id, secret)) = token.split_once('|') {
        return if id == world.app.id && secret == world.app.secret {
            Resolved::App
        } else {
            Resolved::BadAppSecret
        };
    }
    match world.tokens.get(token) {
        Some(t) => Resolved::Known(t),
        None => Resolved::Unknown,
    }
}

pub fn proof_for(secret: &str, token: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn proof_matches(secret: &str, token: &str, proof: &str) -> bool {
    let Ok(bytes) = hex::decode(proof) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// A proof that is present must be right. A missing one is refused when the app requires proofs,
/// except on app tokens: they carry the secret themselves.
fn check_proof(
    world: &World,
    token: &str,
    proof: Option<&str>,
    is_app: bool,
) -> Result<(), GraphError> {
    match proof {
        Some(p) if proof_matches(&world.app.secret, token, p) => Ok(()),
        Some(_) => Err(GraphError::proof_invalid()),
        None if world.app.require_appsecret_proof && !is_app => Err(GraphError::proof_missing()),
        None => Ok(()),
    }
}

/// Wording of the fixture error_app_not_installed_190_458.json.
const APP_NOT_INSTALLED: &str = "App Not Installed";

/// Why a world token no longer works: `(subcode, message)`.
pub fn dead_reason(world: &World, token: &Token, now: Timestamp) -> Option<(u32, String)> {
    let msg = |s: &str| format!("Error validating access token: {s}");
    match token.state {
        TokenState::PasswordChanged => {
            return Some((
                460,
                msg(
                    "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                ),
            ));
        }
        TokenState::Invalidated => {
            return Some((
                466,
                msg("The session was invalidated explicitly using an API call."),
            ));
        }
        TokenState::LoggedOut => {
            return Some((
                467,
                msg("The session is invalid because the user logged out."),
            ));
        }
        TokenState::AppRemoved => return Some((458, APP_NOT_INSTALLED.into())),
        TokenState::Valid => {}
    }
    if let Some(user) = world.users.get(&token.user) {
        if !user.app_installed {
            return Some((458, APP_NOT_INSTALLED.into()));
        }
        if user.checkpoint {
            return Some((459, "You cannot access the app till you log in to www.facebook.com and follow the instructions given.".into()));
        }
        if user.unconfirmed {
            return Some((
                464,
                msg(
                    "Sessions for the user are not allowed because the user is not a confirmed user.",
                ),
            ));
        }
    }
    if let Some(exp) = token.expires_at
        && now >= exp
    {
        return Some((
            463,
            msg(&format!(
                "Session has expired on {}. The current time is {}.",
                pacific(exp),
                pacific(now)
            )),
        ));
    }
    if let TokenKind::Page { page } = &token.kind {
        let has_task = world
            .page(page)
            .is_some_and(|p| p.tasks.contains_key(&token.user));
        if !has_task {
            return Some((492, "The user must be an administrator, editor, or moderator of the page in order to impersonate it. If the page business requires Two Factor Authentication, the user also needs to enable Two Factor Authentication.".into()));
        }
    }
    None
}

/// Times in expiry messages are Pacific time, as Meta's servers print them.
fn pacific(ts: Timestamp) -> String {
    let tz = TimeZone::get("America/Los_Angeles").unwrap_or(TimeZone::UTC);
    ts.to_zoned(tz)
        .strftime("%A, %d-%b-%y %H:%M:%S %Z")
        .to_string()
}

/// Authenticates a call that is not `/debug_token`.
pub fn authenticate<'w>(
    world: &'w World,
    now: Timestamp,
    token: Option<&str>,
    proof: Option<&str>,
) -> Result<Viewer<'w>, GraphError> {
    let Some(token) = token else {
        return Err(GraphError::no_active_token());
    };
    match resolve(world, token) {
        Resolved::App => {
            check_proof(world, token, proof, true)?;
            Ok(Viewer::App)
        }
        Resolved::BadAppSecret => Err(GraphError::bad_signature()),
        Resolved::Unknown => Err(GraphError::cannot_parse()),
        Resolved::Known(t) => {
            check_proof(world, token, proof, false)?;
            if let Some((sub, message)) = dead_reason(world, t, now) {
                return Err(GraphError::token_dead(sub, &message));
            }
            Ok(match &t.kind {
                TokenKind::User => Viewer::User { token: t },
                TokenKind::Page { page } => Viewer::Page { token: t, page },
            })
        }
    }
}

/// Checks the token that pays for a batch: a wrong app secret or proof rejects the whole request.
pub fn check_batch_token(
    world: &World,
    token: &str,
    proof: Option<&str>,
) -> Result<(), GraphError> {
    match resolve(world, token) {
        Resolved::App => check_proof(world, token, proof, true),
        Resolved::BadAppSecret => Err(GraphError::bad_signature()),
        Resolved::Unknown => Err(GraphError::cannot_parse()),
        Resolved::Known(_) => check_proof(world, token, proof, false),
    }
}

/// Permissions that are never asset-scoped, so debug_token leaves them out of `granular_scopes`.
fn is_granular(permission: &str) -> bool {
    !matches!(permission, "public_profile" | "email") && !permission.starts_with("user_")
}

fn scopes(grant: Option<&Grant>) -> (Vec<String>, Vec<Value>) {
    let mut scopes = Vec::new();
    let mut granular = Vec::new();
    for p in grant.map(|g| g.permissions.as_slice()).unwrap_or_default() {
        if p.status != crate::world::PermissionStatus::Granted {
            continue;
        }
        scopes.push(p.name.clone());
        if is_granular(&p.name) {
            granular.push(match &p.target_ids {
                Some(ids) => json!({"scope": p.name, "target_ids": ids}),
                None => json!({"scope": p.name}),
            });
        }
    }
    (scopes, granular)
}

fn garbage(message: &str) -> Value {
    json!({"data": {"error": {"code": 190, "message": message}, "is_valid": false, "scopes": []}})
}

/// `GET /debug_token`: HTTP 200 with `data` for any input token once the inspecting token is an
/// app token of this app.
pub fn debug_token(
    world: &World,
    now: Timestamp,
    access_token: Option<&str>,
    proof: Option<&str>,
    input_token: Option<&str>,
) -> Result<Value, GraphError> {
    let Some(access_token) = access_token else {
        return Err(GraphError::need_app_token());
    };
    match resolve(world, access_token) {
        Resolved::App => check_proof(world, access_token, proof, true)?,
        Resolved::BadAppSecret => return Err(GraphError::bad_signature()),
        Resolved::Unknown => return Err(GraphError::cannot_parse()),
        Resolved::Known(_) => return Err(GraphError::need_app_token()),
    }
    let Some(input) = input_token else {
        return Err(GraphError::param_required("input_token"));
    };
    let token = match resolve(world, input) {
        Resolved::App => {
            return Ok(json!({"data": {
                "app_id": world.app.id, "type": "APP", "application": world.app.name,
                "is_valid": true, "scopes": [],
            }}));
        }
        Resolved::BadAppSecret => return Ok(garbage(BAD_SIGNATURE)),
        Resolved::Unknown => return Ok(garbage(CANNOT_PARSE)),
        Resolved::Known(t) => t,
    };
    let (scopes, granular) = scopes(world.grant(&token.user));
    let mut data = json!({
        "app_id": token.app_id,
        "type": match token.kind { TokenKind::User => "USER", TokenKind::Page { .. } => "PAGE" },
        "application": world.app.name,
        "data_access_expires_at": world.users.get(&token.user).map_or(0, |u| u.data_access_expires_at.as_second()),
        "expires_at": token.expires_at.map_or(0, |t| t.as_second()),
        "is_valid": true,
        "issued_at": token.issued_at.as_second(),
        "scopes": scopes,
        "user_id": token.user,
    });
    if !granular.is_empty() {
        data["granular_scopes"] = Value::Array(granular);
    }
    if let TokenKind::Page { page } = &token.kind {
        data["profile_id"] = json!(page);
    }
    if let Some(auth_type) = &token.auth_type {
        data["metadata"] = json!({ "auth_type": auth_type });
    }
    if let Some((subcode, message)) = dead_reason(world, token, now) {
        data["is_valid"] = json!(false);
        data["error"] = json!({"code": 190, "message": message, "subcode": subcode});
    }
    Ok(json!({ "data": data }))
}
