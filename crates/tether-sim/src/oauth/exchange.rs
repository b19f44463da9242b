//! `GET|POST /oauth/access_token`: an authorization code for a short-lived user token, or
//! (`grant_type=fb_exchange_token`) a short-lived token for a long-lived one.
//!
//! Wording: "Error validating client secret." (code 1) and the code errors ("This authorization
//! code has been used.", "... has expired.", "Error validating verification code ...") are the
//! messages apps report from the real endpoint; their subcodes 36007 / 36008 / 36009 are not in
//! docs/PLATFORMS.md and are **unconfirmed**. Missing-parameter errors use the simulator's own wording.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{CODE_TTL, LONG_LIVED_SECS, SHORT_LIVED_SECS, mint_user_token, param};
use crate::graph::Reply;
use crate::graph::errors::GraphError;
use crate::graph::token::dead_reason;
use crate::state::Inner;
use crate::world::TokenKind;

pub fn exchange(inner: &mut Inner, params: &[(String, String)]) -> Reply {
    inner.stats.token_requests += 1;
    match run(inner, params) {
        Ok(v) => Reply::ok(v),
        Err(e) => Reply::err(e),
    }
}

fn oauth(code: u32, message: &str) -> GraphError {
    GraphError::new(400, "OAuthException", code, message)
}

fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, GraphError> {
    param(params, name).ok_or_else(|| GraphError::param_required(name))
}

/// Hashing both sides under a fixed key before `verify_slice` keeps the comparison constant-time
/// and independent of the lengths.
fn secret_matches(expected: &str, given: &str) -> bool {
    const KEY: &[u8] = b"tether-sim client_secret comparison";
    let mac =
        || <Hmac<Sha256> as KeyInit>::new_from_slice(KEY).expect("HMAC accepts keys of any length");
    let mut want = mac();
    want.update(expected.as_bytes());
    let want = want.finalize().into_bytes();
    let mut got = mac();
    got.update(given.as_bytes());
    got.verify_slice(&want).is_ok()
}

fn run(inner: &mut Inner, params: &[(String, String)]) -> Result<Value, GraphError> {
    let client_id = required(params, "client_id")?;
    if client_id != inner.world.app.id {
        return Err(oauth(
            101,
            "Error validating application. Invalid application ID.",
        ));
    }
    let secret = required(params, "client_secret")?;
    if !secret_matches(&inner.world.app.secret, secret) {
        return Err(oauth(1, "Error validating client secret."));
    }
    if param(params, "grant_type") == Some("fb_exchange_token") {
        return long_lived(inner, required(params, "fb_exchange_token")?);
    }
    let code = required(params, "code")?;
    let redirect_uri = required(params, "redirect_uri")?;
    let now = inner.clock.now();
    let Some(pending) = inner.codes.get_mut(code) else {
        return Err(oauth(100, "Invalid verification code format."));
    };
    if pending.used {
        return Err(oauth(100, "This authorization code has been used.").with_subcode(36009));
    }
    let expired = pending
        .issued_at
        .checked_add(CODE_TTL)
        .map_or(true, |end| now >= end);
    if expired {
        return Err(oauth(100, "This authorization code has expired.").with_subcode(36007));
    }
    if pending.redirect_uri != redirect_uri || pending.client_id != client_id {
        // A mismatch does not burn the code: the app may retry with the right URI.
        return Err(oauth(
            100,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )
        .with_subcode(36008));
    }
    pending.used = true;
    let user = pending.user.clone();
    let auth_type = pending.auth_type.clone();
    let token = mint_user_token(&mut inner.world, &user, now, SHORT_LIVED_SECS, auth_type);
    Ok(json!({"access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED_SECS}))
}

fn long_lived(inner: &mut Inner, short: &str) -> Result<Value, GraphError> {
    let now = inner.clock.now();
    let Some(t) = inner.world.tokens.get(short) else {
        return Err(GraphError::cannot_parse());
    };
    if t.kind != TokenKind::User {
        // Simulator wording: only user tokens are exchanged here.
        return Err(GraphError::invalid_param(
            "fb_exchange_token must be a user access token".into(),
        ));
    }
    if let Some((subcode, message)) = dead_reason(&inner.world, t, now) {
        return Err(GraphError::token_dead(subcode, &message));
    }
    let user = t.user.clone();
    let token = mint_user_token(&mut inner.world, &user, now, LONG_LIVED_SECS, None);
    Ok(json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECS}))
}
