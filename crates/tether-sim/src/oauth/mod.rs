//! Facebook Login: the OAuth dialog (`/{version}/dialog/oauth`, HTML for a person or a test
//! client) and the token endpoint (`/{version}/oauth/access_token`: code exchange and long-lived
//! exchange). Neither is a platform call of a health check, so they have their own counters
//! (`dialog_requests`, `token_requests`) and no faults.
//!
//! Tokens minted here are ordinary world tokens: every Graph endpoint and every admin mutation
//! treats them like the tokens of the world file.

mod dialog;
mod exchange;

use std::collections::HashMap;

use axum::http::Method;
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use rand::Rng;

use crate::state::SimState;
use crate::world::{Token, TokenKind, TokenState, World};

/// An authorization code is good for 10 minutes of the virtual clock.
const CODE_TTL: SignedDuration = SignedDuration::from_mins(10);
/// Codes older than this are forgotten, so a long-running simulator does not grow.
const CODE_FORGET: SignedDuration = SignedDuration::from_hours(24);
/// The code exchange yields a short-lived user token (docs/PLATFORMS.md 1.1: about an hour). Under the
/// 2 hours that make a Page token derived from it expire with it.
pub const SHORT_LIVED_SECS: i64 = 5_400;
/// `fb_exchange_token` yields about 60 days (docs/PLATFORMS.md 1.1).
pub const LONG_LIVED_SECS: i64 = 5_183_999;

#[derive(Debug, Clone)]
pub struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user: String,
    pub issued_at: Timestamp,
    pub used: bool,
    pub auth_type: Option<String>,
}

/// Authorization codes handed out by the dialog, kept after use so a replay is recognised.
#[derive(Debug, Default)]
pub struct Codes {
    codes: HashMap<String, PendingCode>,
}

impl Codes {
    pub fn issue(&mut self, pending: PendingCode) -> String {
        let horizon = pending.issued_at.checked_sub(CODE_FORGET).ok();
        if let Some(h) = horizon {
            self.codes.retain(|_, c| c.issued_at >= h);
        }
        let code = format!("AQ{}", random_alnum(96));
        self.codes.insert(code.clone(), pending);
        code
    }

    pub fn get_mut(&mut self, code: &str) -> Option<&mut PendingCode> {
        self.codes.get_mut(code)
    }
}

fn random_alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Stores a new user token of `user` for the world's app and returns it.
pub fn mint_user_token(
    world: &mut World,
    user: &str,
    now: Timestamp,
    lifetime_secs: i64,
    auth_type: Option<String>,
) -> String {
    let token = format!("EAA{}", random_alnum(160));
    world.tokens.insert(
        token.clone(),
        Token {
            token: token.clone(),
            user: user.to_string(),
            app_id: world.app.id.clone(),
            kind: TokenKind::User,
            issued_at: now,
            expires_at: now
                .checked_add(SignedDuration::from_secs(lifetime_secs))
                .ok(),
            state: TokenState::Valid,
            auth_type,
        },
    );
    token
}

/// Serves the Facebook Login paths (with or without a version prefix); `None` for every other
/// path, which the Graph handler then serves.
pub async fn route(
    state: &SimState,
    method: &Method,
    full_path: &str,
    path: &str,
    version: Option<&str>,
    params: &[(String, String)],
) -> Option<Response> {
    match path.trim_matches('/') {
        "dialog/oauth" if method == Method::GET => Some(dialog::get(state, full_path, params)),
        "dialog/oauth" if method == Method::POST => Some(dialog::post(state, params).await),
        "oauth/access_token" if method == Method::GET || method == Method::POST => {
            let (reply, usage) = {
                let mut g = state.lock();
                let reply = exchange::exchange(&mut g, params);
                (reply, g.usage.header(g.now_hour(), g.world.users.len()))
            };
            Some(crate::server::respond(reply, &usage, version))
        }
        _ => None,
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
