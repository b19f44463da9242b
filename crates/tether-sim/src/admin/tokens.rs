//! Mutations of single tokens: invalidation and expiry.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::{AdminError, Reply, not_found, required, token_view};
use crate::state::SimState;
use crate::world::TokenState;

pub(super) async fn token_get(State(s): State<SimState>, Path(token): Path<String>) -> Reply {
    token_view(&s.lock(), &token)
        .map(Json)
        .ok_or_else(|| not_found("token", "<hidden>"))
}

fn with_token(
    s: &SimState,
    token: &str,
    change: impl FnOnce(&mut crate::world::Token, Timestamp) -> Result<(), AdminError>,
) -> Reply {
    let mut g = s.lock();
    let now = g.clock.now();
    // Unknown tokens are not echoed back: the error names the kind only.
    let t = g
        .world
        .tokens
        .get_mut(token)
        .ok_or_else(|| not_found("token", "<hidden>"))?;
    change(t, now)?;
    Ok(Json(token_view(&g, token).unwrap_or(Value::Null)))
}

pub(super) async fn token_invalidate(
    State(s): State<SimState>,
    Path(token): Path<String>,
) -> Reply {
    with_token(&s, &token, |t, _| {
        t.state = TokenState::Invalidated;
        Ok(())
    })
}

pub(super) async fn token_expire(State(s): State<SimState>, Path(token): Path<String>) -> Reply {
    with_token(&s, &token, |t, now| {
        t.expires_at = Some(now);
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpiresAt {
    /// RFC 3339, a unix time, `0` or `"never"`.
    expires_at: Value,
}

pub(super) async fn token_expires_at(
    State(s): State<SimState>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: ExpiresAt = required(&bytes)?;
    let at = match &req.expires_at {
        Value::String(n) if n == "never" => None,
        Value::Number(n) if n.as_i64() == Some(0) => None,
        Value::String(t) => Some(t.parse::<Timestamp>().map_err(|_| {
            AdminError::Invalid(format!("expires_at = {t:?} is not an RFC 3339 time"))
        })?),
        Value::Number(n) => Some(
            n.as_i64()
                .and_then(|s| Timestamp::from_second(s).ok())
                .ok_or_else(|| {
                    AdminError::Invalid(format!("expires_at = {n} is not a unix time"))
                })?,
        ),
        other => {
            return Err(AdminError::Invalid(format!(
                "expires_at = {other} must be an RFC 3339 string, a unix time or \"never\""
            )));
        }
    };
    with_token(&s, &token, |t, _| {
        t.expires_at = at;
        Ok(())
    })
}
